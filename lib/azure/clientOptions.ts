import type { AzureTarget } from '../config.js';
import { armReadBucketPolicy, ArmReadBuckets } from './requestLimiter.js';

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

/**
 * ARM's read buckets as this process's identity spends them: one set per target (the configuration
 * is parsed once, with one credential), shared by every ARM client built from it, so the container
 * service, Policy Insights, subscription and diagnostic-settings reads of one subscription draw on
 * one bucket, as ARM counts them.
 */
const readBuckets = new WeakMap<AzureTarget, ArmReadBuckets>();

/** The ARM read buckets of a target (tests and diagnostics). */
export function armReadBuckets(target: AzureTarget): ArmReadBuckets {
  let buckets = readBuckets.get(target);
  if (buckets === undefined) {
    buckets = new ArmReadBuckets();
    readBuckets.set(target, buckets);
  }
  return buckets;
}

/**
 * Options shared by the ARM clients: endpoint, TLS trust for the simulator, retries, user agent, and
 * reads paced by ARM's per-subscription bucket (`requestLimiter.ts`), placed per retry so every
 * attempt takes a token.
 */
export function armClientOptions(target: AzureTarget, retry: RetrySettings) {
  return {
    endpoint: target.armEndpoint,
    ...(target.kind === 'simulator' ? { tlsOptions: { ca: target.caPem } } : {}),
    retryOptions: retry,
    userAgentOptions: { userAgentPrefix: 'aks-fleet-guard' },
    additionalPolicies: [{ policy: armReadBucketPolicy(armReadBuckets(target)), position: 'perRetry' as const }],
  };
}

/** The AAD scope of the ARM endpoint (sovereign clouds have their own). */
export function armScope(target: AzureTarget): string {
  return `${target.armEndpoint}/.default`;
}
