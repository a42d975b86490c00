/** How a rollout and its retries point at each other, for the rollout's status (retryApi.ts). */
import type { RolloutStore } from './rolloutStore.js';

/**
 * What a rollout's status adds about retries (§4 output, added fields only): `retryOf`, the rollout
 * it retries, and `retries`, the rollouts that retry it with the clusters each re-runs.
 */
export async function retryLinks(
  id: string,
  store: RolloutStore,
): Promise<{ retryOf?: string; retries: Array<{ id: string; by: string; at: string; clusters: string[] }> }> {
  const [record, claims] = await Promise.all([store.get(id), store.retryClaims(id)]);
  const retries = new Map<string, { id: string; by: string; at: string; clusters: string[] }>();
  for (const claim of claims) {
    const entry = retries.get(claim.retryId) ?? { id: claim.retryId, by: claim.by, at: claim.at, clusters: [] };
    entry.clusters.push(claim.resourceId);
    retries.set(claim.retryId, entry);
  }
  return {
    ...(record?.retryOf === undefined ? {} : { retryOf: record.retryOf }),
    retries: [...retries.values()].sort((left, right) => left.at.localeCompare(right.at)),
  };
}
