import type { AzureTarget } from '../config.js';

/**
 * Retry settings passed to every SDK pipeline; the SDK honours `Retry-After` on 429 and 503. Resource
 * Graph signals throttling with its own quota headers instead and gets its own policy with the same
 * budget (`resourceGraphQuota.ts`).
 */
export interface RetrySettings {
  maxRetries: number;
  /** Base delay of the exponential back-off for 5xx and network errors. */
  retryDelayInMs?: number;
  maxRetryDelayInMs?: number;
}

/** The SDK's defaults (core-rest-pipeline's exponential retry strategy). */
const DEFAULT_RETRY_DELAY_MS = 1000;
const DEFAULT_MAX_RETRY_DELAY_MS = 64_000;

/** The exponential back-off before retry `attempt` (0-based), bounded by `maxRetryDelayInMs`, without jitter. */
export function backoffDelayMs(retry: RetrySettings, attempt: number): number {
  return Math.min(retry.maxRetryDelayInMs ?? DEFAULT_MAX_RETRY_DELAY_MS, (retry.retryDelayInMs ?? DEFAULT_RETRY_DELAY_MS) * 2 ** attempt);
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
