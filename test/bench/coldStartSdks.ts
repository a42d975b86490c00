/**
 * SDK client packages the Functions app needs only once a function runs: lib/app/clients.ts
 * imports them on first use, so loading the entry must not load them (cold start).
 */
export const HEAVY_SDKS = [
  '@azure/identity',
  '@azure/msal-node',
  '@azure/arm-containerservice',
  '@azure/arm-policyinsights',
  '@azure/arm-resourcegraph',
  '@azure/arm-resources-subscriptions',
  '@azure/monitor-query-logs',
];
