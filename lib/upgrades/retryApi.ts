/**
 * `POST /api/rollouts/{id}/retry`: a new rollout over the clusters of an ended rollout that failed or
 * were skipped by a halt or an abort, with the same plan, once no AKS operation runs on them.
 *
 * - Only an ended rollout is retried (Completed with failures, Halted after its wait, Aborted, Failed,
 *   Terminated). A rollout still running is 409, a halted one waiting for a human too: `resume`
 *   continues it (its gate measured again), and abort, then retry, re-runs its failed and skipped
 *   clusters. Two runs driving the same clusters would race for them.
 * - A cluster on which AKS still runs an operation (an upgrade an abort left to finish, a scale, a
 *   node-image upgrade) makes the retry 409 naming it: the retry starts all it was asked to or nothing,
 *   and `clusters` in the body leaves such a cluster out explicitly, rather than a 202 that silently
 *   skips it.
 * - Each cluster of a rollout is retried once: a later retry of the same rollout re-runs only what no
 *   earlier retry took; what a retry fails is retried from that retry.
 * - The retry is a rollout of its own (`retryOf` names the original; the original lists its `retries`),
 *   requested by the caller, whose principal the original's actions record.
 */
import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import { MAX_CLUSTER_ID_LENGTH, ROLLOUT_BODY_LIMIT_BYTES } from '../apiLimits.js';
import { actorOf, authorizeRole, type Principal } from '../auth/principal.js';
import { FleetGuardError } from '../errors.js';
import { readJsonBody } from '../jsonBody.js';
import { type Cluster, resourceKey } from '../model/cluster.js';
import { unavailable } from '../publicError.js';
import { ORCHESTRATIONS, type RolloutInput, type RolloutOutcome } from './orchestrators.js';
import { notRetryableNow, RETRYABLE_STATUSES, type RetryCandidate, retryCandidates, retryPlan } from './retryPlan.js';
import { type DurableClientLike, ROLLOUT_ROLES, type RolloutApiRequest, type RolloutApiResponse } from './rolloutsApi.js';
import type { RolloutStore } from './rolloutStore.js';

export interface RetryApiDependencies {
  client: DurableClientLike;
  store: RolloutStore;
  now: Date;
  /** One subscription's clusters with their and their pools' provisioningState (the container-service adapter's paged list). */
  listClusters(subscriptionId: string): Promise<{ clusters: Cluster[]; rejected: Array<{ name: string; problem: string }> }>;
}

/** `POST /rollouts/{id}/retry`: optionally, the clusters (names or resource ids) to retry. */
export const retryRequestSchema = z
  .object({
    clusters: z
      .array(z.string().min(1, 'must name a cluster').max(MAX_CLUSTER_ID_LENGTH))
      .min(1, 'must name at least one cluster (or leave clusters out to retry all)')
      .max(1000)
      .optional(),
  })
  .strict();

const ROLLOUT_ID = /^[0-9a-f-]{36}$/i;
const ENDED = new Set(['Completed', 'Failed', 'Terminated']);

export async function handleRetryRequest(request: RolloutApiRequest, deps: RetryApiDependencies): Promise<RolloutApiResponse> {
  const authorization = authorizeRole(request.principalHeader, ROLLOUT_ROLES.manage, ROLLOUT_ROLES.manage);
  if ('status' in authorization) return authorization;
  const id = request.params['id'] ?? '';
  if (!ROLLOUT_ID.test(id)) return { status: 400, body: { error: 'id: must be a rollout id' } };
  // Read only after the role check, within the rollout requests' limit; a blank body retries all.
  const parsed = await readJsonBody(request.body, retryRequestSchema, { limitBytes: ROLLOUT_BODY_LIMIT_BYTES, empty: '{}' });
  if ('error' in parsed) return { status: parsed.status, body: { error: parsed.error } };
  try {
    await deps.store.ensureTable();
    return await retry(id, parsed.data.clusters, authorization.principal, deps);
  } catch (error) {
    if (error instanceof FleetGuardError && error.reason === 'badInput') return { status: 400, body: { error: error.message } };
    return unavailable('retries are unavailable right now (the rollout store, the durable task hub or Azure did not answer)', error);
  }
}

const conflict = (error: string, extra: Record<string, unknown> = {}): RolloutApiResponse => ({ status: 409, body: { error, ...extra } });

async function retry(id: string, asked: string[] | undefined, caller: Principal, deps: RetryApiDependencies): Promise<RolloutApiResponse> {
  const status = await deps.client.getStatus(id);
  if (status === undefined || status.runtimeStatus === undefined) return { status: 404, body: { error: `no rollout ${id}` } };
  const runtime = typeof status.runtimeStatus === 'string' ? status.runtimeStatus : 'unknown';
  if (!ENDED.has(runtime)) {
    const live = (status.customStatus ?? {}) as { status?: unknown };
    if (live.status === 'Halted')
      return conflict(
        `cannot retry rollout ${id}: it is halted and waits for resume or abort (resume continues it once its gate passes again; to re-run its failed and skipped clusters, abort it, then retry)`,
      );
    return conflict(
      `cannot retry rollout ${id}: it is still running (${runtime}${typeof live.status === 'string' ? `, ${live.status}` : ''}); retry re-runs the clusters of a rollout that has ended`,
    );
  }
  const input = status.input as Partial<RolloutInput> | null | undefined;
  if (input?.plan === undefined || input.gates === undefined) return conflict(`cannot retry rollout ${id}: its plan is not known`);
  const outcome = runtime === 'Completed' ? (status.output as RolloutOutcome | null | undefined) : undefined;
  const recorded = outcome?.waves === undefined ? await deps.store.clusterStatuses(id) : [];
  const candidates = retryCandidates(input.plan, { outcome: outcome?.waves === undefined ? undefined : outcome, recorded });
  const claims = new Map((await deps.store.retryClaims(id)).map((claim) => [resourceKey(claim.resourceId), claim]));
  const retryable = candidates.filter((candidate) => RETRYABLE_STATUSES.has(candidate.status) && !claims.has(resourceKey(candidate.resourceId)));

  let selected: RetryCandidate[];
  if (asked === undefined) {
    selected = retryable;
    if (selected.length === 0) return conflict(nothingToRetry(id, candidates, claims));
  } else {
    const chosen = new Map<string, RetryCandidate>();
    // Indexed once, so naming n clusters costs n lookups, not n scans of the plan (issue 14).
    const byId = new Map(candidates.map((entry) => [resourceKey(entry.resourceId), entry]));
    const byName = new Map<string, RetryCandidate>();
    for (const entry of candidates) if (!byName.has(entry.name.toLowerCase())) byName.set(entry.name.toLowerCase(), entry);
    for (const [index, name] of asked.entries()) {
      const candidate = byId.get(resourceKey(name)) ?? byName.get(name.toLowerCase());
      if (candidate === undefined) return { status: 400, body: { error: `clusters.${index}: '${name}' is not a cluster rollout ${id} upgrades` } };
      const claim = claims.get(resourceKey(candidate.resourceId));
      if (claim !== undefined)
        return conflict(
          `cannot retry ${candidate.name} of rollout ${id}: retry ${claim.retryId} (by ${claim.by}) re-runs it already; retry that rollout instead`,
        );
      if (!RETRYABLE_STATUSES.has(candidate.status))
        return conflict(`cannot retry ${candidate.name} of rollout ${id}: it is ${candidate.status}; only Failed, NotStarted and Aborted clusters are retried`);
      chosen.set(resourceKey(candidate.resourceId), candidate);
    }
    selected = candidates.filter((candidate) => chosen.has(resourceKey(candidate.resourceId)));
  }

  const blocked = await busyClusters(selected, deps);
  if (blocked.length > 0) {
    const names = blocked.map((entry) => `${entry.name}: ${entry.reason}`).join('; ');
    return conflict(
      `cannot retry rollout ${id} yet: ${names}. Retry once it has ended, or leave ${blocked.length === 1 ? 'it' : 'them'} out (clusters in the body, --cluster in the CLI)`,
      {
        blocked: blocked.map((entry) => ({ resourceId: entry.resourceId, reason: entry.reason })),
      },
    );
  }

  const retryId = randomUUID();
  const at = deps.now.toISOString();
  const held = await deps.store.claimRetry(
    id,
    retryId,
    selected.map((candidate) => candidate.resourceId),
    caller.name,
    at,
  );
  if (held.length > 0)
    return conflict(
      `cannot retry rollout ${id}: another retry took ${held.map((claim) => `${claim.resourceId.split('/').at(-1) ?? ''} (retry ${claim.retryId})`).join(', ')} meanwhile`,
    );
  const plan = retryPlan(
    input.plan,
    selected.map((candidate) => candidate.resourceId),
  );
  const retryInput: RolloutInput = {
    rolloutId: retryId,
    plan,
    gates: input.gates,
    requestedBy: caller.name,
    haltWaitMinutes: input.haltWaitMinutes ?? 7 * 24 * 60,
  };
  try {
    await deps.client.startNew(ORCHESTRATIONS.rollout, { instanceId: retryId, input: retryInput });
  } catch (error) {
    await deps.store.releaseRetry(
      id,
      selected.map((candidate) => candidate.resourceId),
    );
    throw error;
  }
  const original = await deps.store.get(id);
  // Separation of duties carries over: the waves that needed another approver still do (the retry's requester is the caller).
  const distinctApproverWaves = (
    original?.distinctApproverWaves ?? input.plan.waves.filter((wave) => wave.production === true).map((wave) => wave.name)
  ).filter((name) => plan.waves.some((wave) => wave.name === name));
  await deps.store.recordStart({
    rolloutId: retryId,
    target: plan.target,
    upgradeType: plan.upgradeType,
    requestedBy: caller.name,
    ...(caller.objectId === undefined ? {} : { requestedByObjectId: caller.objectId }),
    ...(caller.appId === undefined ? {} : { requestedByAppId: caller.appId }),
    distinctApproverWaves,
    createdAt: at,
    waves: plan.waves.length,
    clusters: selected.length,
    retryOf: id,
  });
  await deps.store.recordAction(id, { action: 'retry', ...actorOf(caller), at });
  return {
    status: 202,
    body: {
      id: retryId,
      retryOf: id,
      action: 'retry',
      by: caller.name,
      statusUrl: `/api/rollouts/${retryId}`,
      clusters: selected.map(({ resourceId, wave, status: was }) => ({ resourceId, wave, status: was })),
      plan,
      distinctApproverWaves,
    },
  };
}

/** Why nothing is left to retry, in one line. */
function nothingToRetry(id: string, candidates: readonly RetryCandidate[], claims: ReadonlyMap<string, { retryId: string }>): string {
  const byStatus = new Map<string, number>();
  for (const candidate of candidates) {
    const key = claims.has(resourceKey(candidate.resourceId)) ? `retried by ${claims.get(resourceKey(candidate.resourceId))?.retryId ?? ''}` : candidate.status;
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
  }
  const summary = [...byStatus].map(([key, count]) => `${count} ${key}`).join(', ');
  return `nothing to retry in rollout ${id}: no cluster failed or was skipped by a halt or an abort${summary === '' ? '' : ` (${summary})`}`;
}

/** The selected clusters that cannot start now, read with one paged list per subscription (never one call per cluster). */
async function busyClusters(selected: readonly RetryCandidate[], deps: RetryApiDependencies): Promise<Array<RetryCandidate & { reason: string }>> {
  const subscriptions = [...new Set(selected.map((candidate) => candidate.resourceId.split('/')[2]?.toLowerCase() ?? ''))];
  const live = new Map<string, Cluster>();
  const unreadable = new Map<string, string>();
  for (const subscriptionId of subscriptions) {
    const listing = await deps.listClusters(subscriptionId);
    for (const cluster of listing.clusters) live.set(resourceKey(cluster.id), cluster);
    for (const rejected of listing.rejected) unreadable.set(rejected.name.toLowerCase(), rejected.problem);
  }
  return selected.flatMap((candidate) => {
    const problem = unreadable.get(candidate.name.toLowerCase());
    const reason = problem === undefined ? notRetryableNow(live.get(resourceKey(candidate.resourceId))) : `its state cannot be read (${problem})`;
    return reason === undefined ? [] : [{ ...candidate, reason }];
  });
}
