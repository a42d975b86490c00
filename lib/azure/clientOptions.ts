import type { AzureTarget } from '../config.js';

/** Retry settings passed to every SDK pipeline; the SDK honours `Retry-After` on 429 and 503. */
export interface RetrySettings {
  maxRetries: number;
  /** Base delay of the exponential back-off for 5xx and network errors. */
  retryDelayInMs?: number;
  maxRetryDelayInMs?: number;
}

/** Options shared by the ARM clients: endpoint, TLS trust for the simulator, retries, user agent. */
export function armClientOptions(target: AzureTarget, retry: RetrySettings) {
  return {
    endpoint: target.armEndpoint,
    ...(target.kind === 'simulator' ? { tlsOptions: { ca: target.caPem } } : {}),
    retryOptions: retry,
    userAgentOptions: { userAgentPrefix: 'aks-fleet-guard' },
  };
}

/** The AAD scope of the ARM endpoint (sovereign clouds have their own). */
export function armScope(target: AzureTarget): string {
  return `${target.armEndpoint}/.default`;
}
