/**
 * The documented limits of the services a sweep calls, in one place: the clients pace themselves by
 * them (lib/azure/requestLimiter.ts, lib/azure/resourceGraphQuota.ts) and the sweep benchmark
 * prints the calls of a sweep against them. Sources next to each figure; ../shared/reference/service-limits.md.
 */

/**
 * Log Analytics query API, per user (the identity): 5 concurrent queries (more are queued, up to 200,
 * and one queued over 3 minutes gets 429), 200 queries per 30 s across all workspaces. Learn: "Azure
 * Monitor service limits", User query throttling
 * (https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits#log-queries-and-language;
 * MicrosoftDocs/azure-docs includes/azure-monitor-limits-log-queries.md).
 */
export const LOG_ANALYTICS_LIMITS = { concurrency: 5, queriesPerWindow: 200, windowMs: 30_000 } as const;

/**
 * Azure Resource Manager, reads: a token bucket per principal, subscription and region of 250
 * requests refilling 25 per second (the subscription-wide bucket is 15 times that). Learn:
 * "Understand how Azure Resource Manager throttles requests"
 * (https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling).
 */
export const ARM_READ_BUCKET = { size: 250, refillPerSecond: 25 } as const;

/**
 * Azure Resource Graph, per user: about 15 queries per 5-second window, reported on every answer by
 * `x-ms-user-quota-remaining` / `x-ms-user-quota-resets-after`. Learn: "Guidance for throttled
 * requests in Azure Resource Graph". The client paces by the headers, not by these numbers.
 */
export const RESOURCE_GRAPH_QUOTA = { queries: 15, windowMs: 5000 } as const;

/**
 * Policy Insights (`policyStates` and `componentPolicyStates` `queryResults`): no limit of its own is
 * published (Learn "Understand how Azure Resource Manager throttles requests" lists the resource
 * providers with their own limits, and Policy Insights is not among them; the Policy Insights REST
 * reference and azure-rest-api-specs `specification/policyinsights` state none). Its queries are POSTs
 * through ARM, so ARM's per-principal, per-subscription buckets apply. Whether ARM counts these POSTs
 * as reads or writes is not documented: the client paces them by the stricter reading, the write
 * bucket (200 requests refilling 10 per second, same Learn page), and lowers its estimate by
 * `x-ms-ratelimit-remaining-subscription-writes` when an answer carries it (the simulator sends it
 * for POSTs, tooling/simulator/throttling.ts).
 */
export const POLICY_INSIGHTS_BUCKET = { size: 200, refillPerSecond: 10 } as const;

/**
 * Rows asked of one unpaged `componentPolicyStates` query (`$top`). The operation has no nextLink
 * (`ComponentPolicyStatesQueryResults`, componentPolicyStates.json 2024-10-01) and no published cap on
 * rows, so an answer holding exactly `$top` rows may be cut: the sweep then asks that subscription's
 * clusters one by one (lib/sweep/policyStage.ts). 1,000 is the Resource Graph page size (service-limits.md)
 * and keeps one answer well under a megabyte of JSON.
 */
export const POLICY_COMPONENTS_TOP = 1000;
