/**
 * Node-pool rollback of a rollout's clusters, in two steps a release manager expects of a change to
 * production: `POST /rollouts/{id}/rollback` (Rollouts.Manage) asks for it and records a pending
 * request; `POST /rollouts/{id}/rollback/approve` by another holder of Rollouts.Manage (compared by
 * Entra object id, never by name) starts it as a durable orchestration. Both check, against ARM
 * at that moment, that AKS's rollback applies to every pool the rollout upgraded (rollback.ts):
 * 409 naming the cluster and pool when it does not, or when the rollout is still running.
 */
import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import { MAX_CLUSTER_ID_LENGTH, MAX_FLEET_CLUSTERS, ROLLOUT_BODY_LIMIT_BYTES } from '../apiLimits.js';
import { actorOf, authorizeRole, type Principal, samePrincipal } from '../auth/principal.js';
import { readRequestBody } from '../boundedBody.js';
import { FleetGuardError } from '../errors.js';
import { parseJsonBody } from '../jsonBody.js';
import { resourceKey } from '../model/cluster.js';
import { logFailure, unavailable } from '../publicError.js';
import { clusterRollback, type ClusterRollbackFacts, type ClusterRollbackStatus, type RollbackTarget, rollbackTargets } from './rollback.js';
import { ROLLBACK_ORCHESTRATION, type RollbackInput, rollbackInstanceId } from './rollbackOrchestrator.js';
import type { RollbackRequest } from './rollbackStore.js';
import type { DurableClientLike, RolloutApiRequest, RolloutApiResponse } from './rolloutsApi.js';
import { ROLLOUT_ROLES } from './rolloutsApi.js';
import type { ClusterStatusRecord, RolloutStore } from './rolloutStore.js';

export interface RollbackApiDependencies {
  client: DurableClientLike;
  store: RolloutStore;
  now: Date;
  /** The cluster and its pools' rollback versions as ARM says now; undefined when it no longer exists. */
  facts(resourceId: string): Promise<ClusterRollbackFacts | undefined>;
}

const ROLLOUT_ID = /^[0-9a-f-]{36}$/i;
/** Cluster statuses of a rollout whose upgrade began: only these can have a pool to roll back. */
const STARTED = new Set(['Upgraded', 'Aborted', 'Failed']);
/** How often the rollback polls AKS, and how long a pool may take (as an upgrade's default timeout). */
const POLL_MINUTES = 1;
const TIMEOUT_MINUTES = 240;
/** Clusters whose rollback facts a status read asks ARM for at once. */
const STATUS_READS_AT_ONCE = 8;

/** `POST /rollouts/{id}/rollback`: the clusters (names or resource ids) whose pools to roll back. */
export const rollbackRequestSchema = z.object({ clusters: z.array(z.string().min(1).max(MAX_CLUSTER_ID_LENGTH)).min(1).max(MAX_FLEET_CLUSTERS) }).strict();
const requestSchema = rollbackRequestSchema;
/** `POST /rollouts/{id}/rollback/approve`: which waiting rollback, when there are several. */
export const rollbackApproveSchema = z
  .object({
    rollbackId: z
      .string()
      .max(36)
      .regex(/^[0-9a-f-]{36}$/i, 'must be a rollback id')
      .optional(),
  })
  .strict();

type Status = NonNullable<Awaited<ReturnType<DurableClientLike['getStatus']>>>;

/** A rollout that is running (and not halted) is still changing clusters: nothing to roll back yet. */
export function stillRunning(status: Status): string | undefined {
  const running = status.runtimeStatus === 'Running' || status.runtimeStatus === 'Pending';
  const custom = (status.customStatus ?? {}) as { status?: unknown };
  if (!running || custom.status === 'Halted') return undefined;
  return `it is still running${typeof custom.status === 'string' ? ` (${custom.status})` : ''}; halt it, or let it end, first`;
}

/** Whether a rollout's status shows rollback applicability: halted, or ended. */
export function showsRollback(status: Status): boolean {
  return stillRunning(status) === undefined;
}

export async function handleRollbackRequest(
  operation: 'request' | 'approve',
  request: RolloutApiRequest,
  deps: RollbackApiDependencies,
): Promise<RolloutApiResponse> {
  const authorization = authorizeRole(request.principalHeader, ROLLOUT_ROLES.manage, ROLLOUT_ROLES.manage);
  if ('status' in authorization) return authorization;
  // The body is read only now, after the role check, within the rollout requests' limit.
  const read = await readRequestBody(request.body, ROLLOUT_BODY_LIMIT_BYTES);
  if ('tooLarge' in read) return { status: 413, body: { error: read.tooLarge } };
  try {
    await deps.store.ensureTable();
    const id = request.params['id'] ?? '';
    if (!ROLLOUT_ID.test(id)) return { status: 400, body: { error: 'id: must be a rollout id' } };
    const status = await deps.client.getStatus(id);
    if (status === undefined || status.runtimeStatus === undefined) return { status: 404, body: { error: `no rollout ${id}` } };
    const running = stillRunning(status);
    if (running !== undefined) return { status: 409, body: { error: `cannot roll back rollout ${id}: ${running}` } };
    return operation === 'request'
      ? await requestRollback(id, read.text, authorization.principal, deps)
      : await approveRollback(id, read.text, authorization.principal, deps);
  } catch (error) {
    if (error instanceof FleetGuardError && error.reason === 'badInput') return { status: 400, body: { error: error.message } };
    return unavailable('rollbacks are unavailable right now (the rollout store, the durable task hub or Azure did not answer)', error);
  }
}

/**
 * Finds the rollout's cluster named by id or by name (case-insensitive). Indexed once, so naming n
 * clusters costs n lookups, not n scans of the rollout (issue 14); the first cluster of a name wins.
 */
function clusterFinder(clusters: readonly ClusterStatusRecord[]): (wanted: string) => ClusterStatusRecord | undefined {
  const byId = new Map(clusters.map((cluster) => [resourceKey(cluster.resourceId), cluster]));
  const byName = new Map<string, ClusterStatusRecord>();
  for (const cluster of clusters) {
    const name = (cluster.resourceId.split('/').at(-1) ?? '').toLowerCase();
    if (!byName.has(name)) byName.set(name, cluster);
  }
  return (wanted) => byId.get(resourceKey(wanted)) ?? byName.get(wanted.trim().toLowerCase());
}

/** Applicability of each named cluster now: the pools to roll back, or the refusals naming cluster and pool. */
async function targetsFor(
  rolloutId: string,
  names: readonly string[],
  deps: RollbackApiDependencies,
): Promise<{ targets: RollbackTarget[] } | { status: number; error: string }> {
  const findCluster = clusterFinder(await deps.store.clusterStatuses(rolloutId));
  const targets: RollbackTarget[] = [];
  const refusals: string[] = [];
  for (const name of names) {
    const cluster = findCluster(name);
    if (cluster === undefined) return { status: 400, error: `clusters: ${name} is not a cluster of rollout ${rolloutId}` };
    const clusterName = cluster.resourceId.split('/').at(-1) ?? name;
    if (!STARTED.has(cluster.status)) {
      refusals.push(`${clusterName}: the rollout did not upgrade it (${cluster.status}${cluster.reason === '' ? '' : `: ${cluster.reason}`})`);
      continue;
    }
    const facts = await deps.facts(cluster.resourceId);
    if (facts === undefined) {
      refusals.push(`${clusterName}: the cluster no longer exists`);
      continue;
    }
    const decision = rollbackTargets(clusterRollback(facts, cluster.toVersion, deps.now), clusterName);
    if ('refusal' in decision) refusals.push(decision.refusal);
    else targets.push(...decision.targets);
  }
  if (refusals.length > 0) return { status: 409, error: `rollback does not apply: ${refusals.join('; ')}` };
  return { targets };
}

async function requestRollback(id: string, body: string, caller: Principal, deps: RollbackApiDependencies): Promise<RolloutApiResponse> {
  const parsed = parseJsonBody(body, requestSchema);
  if ('error' in parsed) return { status: 400, body: { error: parsed.error } };
  const decided = await targetsFor(id, parsed.data.clusters, deps);
  if ('error' in decided) return { status: decided.status, body: { error: decided.error } };
  const rollbackId = randomUUID();
  const at = deps.now.toISOString();
  await deps.store.rollbacks().create({ rollbackId, rolloutId: id, state: 'PendingApproval', requested: { ...actorOf(caller), at }, targets: decided.targets });
  await deps.store.recordAction(id, { action: 'rollback-request', ...actorOf(caller), at });
  return {
    status: 202,
    body: {
      id,
      rollbackId,
      state: 'PendingApproval',
      targets: decided.targets,
      approveUrl: `/api/rollouts/${id}/rollback/approve`,
      note: `another holder of ${ROLLOUT_ROLES.manage} must approve it`,
    },
  };
}

async function approveRollback(id: string, body: string, caller: Principal, deps: RollbackApiDependencies): Promise<RolloutApiResponse> {
  const parsed = parseJsonBody(body.trim() === '' ? '{}' : body, rollbackApproveSchema);
  if ('error' in parsed) return { status: 400, body: { error: parsed.error } };
  const store = deps.store.rollbacks();
  const pending = (await store.list(id)).filter((entry) => entry.state === 'PendingApproval');
  const wanted = parsed.data.rollbackId;
  const chosen = wanted === undefined ? pending : pending.filter((entry) => entry.rollbackId.toLowerCase() === wanted.toLowerCase());
  if (chosen.length === 0)
    return { status: 409, body: { error: `no rollback of rollout ${id}${wanted === undefined ? '' : ` with id ${wanted}`} waits for approval` } };
  if (chosen.length > 1)
    return {
      status: 400,
      body: { error: `rollbackId: rollout ${id} has ${chosen.length} rollbacks waiting (${chosen.map((entry) => entry.rollbackId).join(', ')}); name one` },
    };
  const candidate = chosen[0] as RollbackRequest;
  const refusal = distinctApproverRefusal(id, candidate, caller);
  if (refusal !== undefined) return { status: 403, body: { error: refusal } };
  const current = await store.get(id, candidate.rollbackId);
  if (current?.state !== 'PendingApproval')
    return { status: 409, body: { error: `rollback ${candidate.rollbackId} of rollout ${id} no longer waits for approval` } };
  // Time passes between request and approval (the 7 days, a channel turned on): decide again now.
  const decided = await targetsFor(id, [...new Set(current.targets.map((target) => target.resourceId))], deps);
  if ('error' in decided) return { status: decided.status, body: { error: decided.error } };
  const changed = current.targets.find(
    (target) =>
      !decided.targets.some(
        (now) =>
          resourceKey(now.resourceId) === resourceKey(target.resourceId) &&
          now.pool === target.pool &&
          now.to.orchestratorVersion === target.to.orchestratorVersion &&
          now.to.nodeImageVersion === target.to.nodeImageVersion,
      ),
  );
  if (changed !== undefined)
    return {
      status: 409,
      body: {
        error: `rollback does not apply as requested any more: ${changed.resourceId.split('/').at(-1) ?? ''}/${changed.pool} would no longer go back to ${changed.to.orchestratorVersion}; request it again`,
      },
    };
  const at = deps.now.toISOString();
  try {
    await store.approve(id, current.rollbackId, current.etag, { ...actorOf(caller), at });
  } catch (error) {
    if (error instanceof FleetGuardError && error.reason === 'badInput') return { status: 409, body: { error: error.message } };
    throw error;
  }
  const input: RollbackInput = {
    rolloutId: id,
    rollbackId: current.rollbackId,
    targets: current.targets,
    pollMinutes: POLL_MINUTES,
    timeoutMinutes: TIMEOUT_MINUTES,
  };
  const instanceId = rollbackInstanceId(id, current.rollbackId);
  try {
    await deps.client.startNew(ROLLBACK_ORCHESTRATION, { instanceId, input });
  } catch (error) {
    // Nothing runs: give the approval back so the request can be approved again, not left Approved.
    await store.reopen(id, current.rollbackId);
    const correlationId = logFailure(`starting rollback ${current.rollbackId} of rollout ${id}`, error);
    return {
      status: 503,
      body: {
        error: `the rollback could not be started (the durable task hub did not answer); rollback ${current.rollbackId} still waits for approval: approve it again (correlation id ${correlationId})`,
        correlationId,
      },
    };
  }
  await deps.store.recordAction(id, { action: 'rollback-approve', ...actorOf(caller), at });
  return { status: 202, body: { id, rollbackId: current.rollbackId, state: 'Approved', by: caller.name, targets: current.targets } };
}

/** Separation of duties for a rollback: the requester never approves it; unknown object ids refuse rather than guess. */
function distinctApproverRefusal(id: string, request: RollbackRequest, caller: Principal): string | undefined {
  const rule = 'separation of duties (rollback approval)';
  if (request.requested.byObjectId === undefined || caller.objectId === undefined) {
    return `${rule}: rollback ${request.rollbackId} of rollout ${id} needs an approver other than its requester, and ${caller.objectId === undefined ? 'your token' : 'the request'} carries no object id (oid) to tell them apart; approval refused`;
  }
  if (samePrincipal(caller, { objectId: request.requested.byObjectId })) {
    return `${rule}: ${caller.name} (oid ${caller.objectId}) requested rollback ${request.rollbackId} of rollout ${id} and cannot approve it; another holder of ${ROLLOUT_ROLES.manage} must approve`;
  }
  return undefined;
}

/**
 * The rollback fields of a rollout's status (added; nothing existing changes): each cluster whose
 * upgrade began gets `rollback` (control plane and pools) once the rollout is halted or ended, and
 * the rollout lists its rollback requests with their outcome. ARM problems are reported, not fatal.
 */
export async function withRollbackStatus<T extends { resourceId: string; status: string; toVersion: string }>(
  id: string,
  status: Status,
  clusters: T[],
  deps: Pick<RollbackApiDependencies, 'store' | 'now'> & { facts?: RollbackApiDependencies['facts'] },
): Promise<{ clusters: Array<T & { rollback?: ClusterRollbackStatus }>; rollbacks: RollbackRequest[]; rollbackProblem?: string }> {
  const rollbacks = await deps.store.rollbacks().list(id);
  if (deps.facts === undefined || !showsRollback(status)) return { clusters, rollbacks };
  const problems: string[] = [];
  const read = deps.facts;
  const one = async (cluster: T): Promise<T & { rollback?: ClusterRollbackStatus }> => {
    if (!STARTED.has(cluster.status)) return cluster;
    try {
      const facts = await read(cluster.resourceId);
      return facts === undefined ? cluster : { ...cluster, rollback: clusterRollback(facts, cluster.toVersion, deps.now) };
    } catch (error) {
      const correlationId = logFailure(`reading rollback facts of ${cluster.resourceId}`, error);
      problems.push(`${cluster.resourceId.split('/').at(-1) ?? ''}: its state could not be read from Azure (correlation id ${correlationId})`);
      return cluster;
    }
  };
  // A few clusters at a time: each costs one cluster read and one upgrade-profile read per pool.
  const withRollback: Array<T & { rollback?: ClusterRollbackStatus }> = [];
  for (let start = 0; start < clusters.length; start += STATUS_READS_AT_ONCE)
    withRollback.push(...(await Promise.all(clusters.slice(start, start + STATUS_READS_AT_ONCE).map(one))));
  return {
    clusters: withRollback,
    rollbacks,
    ...(problems.length === 0 ? {} : { rollbackProblem: `rollback applicability could not be read for ${problems.join('; ')}` }),
  };
}
