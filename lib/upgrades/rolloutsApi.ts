/**
 * The rollouts HTTP API: plan or start (`POST /rollouts`), list and read, approve, resume, abort.
 * Roles: `Rollouts.Read` reads, `Rollouts.Manage` also writes. Every write records its principal.
 * Bad bodies are 400 naming the field, unknown ids 404, actions that do not fit the state 409.
 */
import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import { AZURE_TAGS, MAX_CLUSTER_ID_LENGTH, MAX_FLEET_CLUSTERS, MAX_SUBSCRIPTION_ID_LENGTH, MAX_WAVES, ROLLOUT_BODY_LIMIT_BYTES } from '../apiLimits.js';
import { actorOf, authorizeRole, type Principal, samePrincipal } from '../auth/principal.js';
import type { RequestBody } from '../boundedBody.js';
import { FleetGuardError } from '../errors.js';
import { boundedRecord, readJsonBody } from '../jsonBody.js';
import { resourceKey } from '../model/cluster.js';
import type { PoolRollingProgress } from '../model/notice.js';
import { unavailable } from '../publicError.js';
import { DEFAULT_GATES, EVENTS, ORCHESTRATIONS, type RolloutInput } from './orchestrators.js';
import { clustersToUpgrade, nothingToUpgradeLine, planNotUpgrading, type RolloutPlan, type RolloutRequest } from './plan.js';
import { retryLinks } from './retryLinks.js';
import type { RolloutStore } from './rolloutStore.js';

export const ROLLOUT_ROLES = { read: 'Rollouts.Read', manage: 'Rollouts.Manage' } as const;

export interface DurableClientLike {
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
  getStatus(
    instanceId: string,
  ): Promise<
    { runtimeStatus?: unknown; customStatus?: unknown; input?: unknown; output?: unknown; createdTime?: unknown; lastUpdatedTime?: unknown } | undefined
  >;
  raiseEvent(instanceId: string, name: string, data: unknown): Promise<void>;
  terminate(instanceId: string, reason: string): Promise<void>;
}

export interface RolloutApiDependencies {
  client: DurableClientLike;
  store: RolloutStore;
  plan(request: RolloutRequest): Promise<RolloutPlan>;
  now: Date;
  /**
   * Node pool rolling reports from AKS Event Grid events, by {@link resourceKey} of the cluster
   * (NoticeStore.poolRollingByCluster). When given, each cluster of a rollout's status carries
   * `poolRolling`: its pools' reports since the rollout was created.
   */
  poolRolling?: () => Promise<Map<string, PoolRollingProgress[]>>;
  /**
   * The node-pool rollback fields of a rollout's status (rollbackApi.ts withRollbackStatus): the
   * clusters with `rollback` added, and the rollout's rollback requests.
   */
  rollbackStatus?: <T extends { resourceId: string; status: string; toVersion: string }>(
    id: string,
    status: NonNullable<Awaited<ReturnType<DurableClientLike['getStatus']>>>,
    clusters: T[],
  ) => Promise<{ clusters: T[] } & Record<string, unknown>>;
}

export interface RolloutApiRequest {
  principalHeader: string | null | undefined;
  params: Record<string, string>;
  /** Read (within the endpoint's limit) only after the role check: lib/boundedBody.ts. */
  body: RequestBody;
}

export interface RolloutApiResponse {
  status: number;
  body: unknown;
}

const waveSettings = z
  .object({ maxParallel: z.number().int().min(1).max(100), soakMinutes: z.number().int().min(0).max(1440), requireApproval: z.boolean() })
  .strict();

const clusterIdOrName = z.string().min(1).max(MAX_CLUSTER_ID_LENGTH);
const tagName = z.string().min(1).max(AZURE_TAGS.nameLength);

/**
 * `POST /rollouts`. Every array, record and string has a limit (lib/apiLimits.ts), named in the 400;
 * explicit waves name at most {@link MAX_FLEET_CLUSTERS} clusters in all.
 */
export const rolloutRequestSchema = z
  .object({
    target: z
      .string()
      .max(32)
      .regex(/^\d+\.\d+(\.\d+)?$/, 'must be a Kubernetes version such as 1.32 or 1.32.4'),
    scope: z
      .object({
        subscriptions: z.array(z.string().max(MAX_SUBSCRIPTION_ID_LENGTH)).max(MAX_FLEET_CLUSTERS).optional(),
        tags: boundedRecord(tagName, z.string().max(AZURE_TAGS.valueLength), AZURE_TAGS.maxEntries).optional(),
        clusterIds: z.array(clusterIdOrName).max(MAX_FLEET_CLUSTERS).optional(),
      })
      .strict()
      .default({}),
    waves: z.union([
      z.object({ byTag: tagName }).strict(),
      z
        .object({
          explicit: z
            .array(z.array(clusterIdOrName).min(1).max(MAX_FLEET_CLUSTERS))
            .min(1)
            .max(MAX_WAVES)
            .refine(
              (waves) => waves.reduce((sum, members) => sum + members.length, 0) <= MAX_FLEET_CLUSTERS,
              `must name at most ${MAX_FLEET_CLUSTERS} clusters in all waves together`,
            ),
        })
        .strict(),
    ]),
    waveSettings: waveSettings.default({ maxParallel: 1, soakMinutes: 30, requireApproval: false }),
    // Wave names are tag values (or explicit wave indexes).
    waveOverrides: boundedRecord(z.string().max(AZURE_TAGS.valueLength), waveSettings.partial(), MAX_WAVES).optional(),
    upgradeType: z.enum(['Full', 'ControlPlaneOnly', 'NodeImageOnly']).default('Full'),
    maxFailedClusters: z.number().int().min(0).max(MAX_FLEET_CLUSTERS).default(0),
    respectMaintenanceWindows: z.boolean().default(false),
    allowMultiMinorHops: z.boolean().default(false),
    dryRun: z.boolean().default(false),
    /** Separation of duties: the requester cannot approve a wave. Absent: on for production-tagged waves only. */
    requireDistinctApprover: z.boolean().optional(),
    /** Plan or start a rollout that upgrades nothing (every cluster excluded or skipped); otherwise 422. */
    allowEmpty: z.boolean().default(false),
  })
  .strict();

const ROLLOUT_ID = /^[0-9a-f-]{36}$/i;

export async function handleRolloutRequest(
  operation: 'create' | 'list' | 'get' | 'approve' | 'resume' | 'abort',
  request: RolloutApiRequest,
  deps: RolloutApiDependencies,
): Promise<RolloutApiResponse> {
  const authorization = authorizeRole(
    request.principalHeader,
    operation === 'list' || operation === 'get' ? ROLLOUT_ROLES.read : ROLLOUT_ROLES.manage,
    ROLLOUT_ROLES.manage,
  );
  if ('status' in authorization) return authorization;
  const caller = authorization.principal;
  // The body is read only now, after the role check, and within its limit.
  const body = operation === 'create' ? await readJsonBody(request.body, rolloutRequestSchema, { limitBytes: ROLLOUT_BODY_LIMIT_BYTES }) : undefined;
  if (body !== undefined && 'error' in body) return { status: body.status, body: { error: body.error } };
  try {
    await deps.store.ensureTable();
    if (operation === 'create') return await create(body?.data, caller, deps);
    if (operation === 'list') return { status: 200, body: { rollouts: await deps.store.list() } };
    const id = request.params['id'] ?? '';
    if (!ROLLOUT_ID.test(id)) return { status: 400, body: { error: 'id: must be a rollout id' } };
    const status = await deps.client.getStatus(id);
    if (status === undefined || status.runtimeStatus === undefined) return { status: 404, body: { error: `no rollout ${id}` } };
    if (operation === 'get') {
      const clusters = await withPoolRolling(await deps.store.clusterStatuses(id), status.createdTime, deps);
      // Node-pool rollback fields (rollbackApi.ts withRollbackStatus): added beside the existing ones.
      const rollback = deps.rollbackStatus === undefined ? { clusters } : await deps.rollbackStatus(id, status, clusters);
      return { status: 200, body: { id, ...status, actions: await deps.store.actions(id), ...rollback, ...(await retryLinks(id, deps.store)) } };
    }
    const custom = (status.customStatus ?? {}) as { status?: string };
    const running = status.runtimeStatus === 'Running' || status.runtimeStatus === 'Pending';
    const fits =
      operation === 'approve' ? running && custom.status === 'WaitingForApproval' : operation === 'resume' ? running && custom.status === 'Halted' : running;
    if (!fits)
      return {
        status: 409,
        body: {
          error: `cannot ${operation} rollout ${id}: it is ${typeof status.runtimeStatus === 'string' ? status.runtimeStatus : 'unknown'}${custom.status ? ` (${custom.status})` : ''}`,
        },
      };
    if (operation === 'approve') {
      const refusal = await distinctApproverRefusal(
        id,
        typeof (custom as { wave?: unknown }).wave === 'string' ? (custom as { wave: string }).wave : undefined,
        caller,
        deps,
      );
      if (refusal !== undefined) return { status: 403, body: { error: refusal } };
    }
    if (operation === 'abort') await abortRollout(id, status.input, caller, deps);
    else await deps.client.raiseEvent(id, operation === 'approve' ? EVENTS.approve : EVENTS.resume, { by: caller.name });
    await deps.store.recordAction(id, { action: operation, ...actorOf(caller), at: deps.now.toISOString() });
    return { status: 202, body: { id, action: operation, by: caller.name } };
  } catch (error) {
    if (error instanceof FleetGuardError && error.reason === 'badInput') return { status: 400, body: { error: error.message } };
    return unavailable('rollouts are unavailable right now (the rollout store, the durable task hub or Azure did not answer)', error);
  }
}

/**
 * Abort: the marker first (every orchestration reads it before starting a wave, a batch of clusters
 * or an upgrade write), then the abort event to the rollout and to each of its orchestrations still
 * running, so waits (approval, soak, polls, maintenance windows) end now. Durable neither cascades
 * `terminate` to sub-orchestrations nor delivers an event to more than one instance, and a terminated
 * orchestration reports nothing: nothing is terminated, each orchestration stops at its next step.
 */
async function abortRollout(id: string, input: unknown, caller: Principal, deps: RolloutApiDependencies): Promise<void> {
  await deps.store.requestAbort(id, caller.name, deps.now.toISOString());
  const data = { by: caller.name };
  await deps.client.raiseEvent(id, EVENTS.abort, data);
  const waves = (input as Partial<RolloutInput> | null | undefined)?.plan?.waves ?? [];
  for (const wave of waves) {
    const waveId = `${id}:wave-${wave.name}`;
    const waveStatus = await deps.client.getStatus(waveId);
    if (waveStatus?.runtimeStatus !== 'Running' && waveStatus?.runtimeStatus !== 'Pending') continue;
    await raiseIgnoringGone(deps.client, waveId, data);
    // The wave names the clusters of its current batch in its custom status (orchestrators.ts).
    const running = (waveStatus.customStatus as { running?: unknown } | null | undefined)?.running;
    for (const name of Array.isArray(running) ? running : []) await raiseIgnoringGone(deps.client, `${waveId}:${String(name)}`, data);
  }
}

/** An instance that ended (or was never created) in the meantime needs no event: the marker covers it. */
async function raiseIgnoringGone(client: DurableClientLike, instanceId: string, data: unknown): Promise<void> {
  try {
    await client.raiseEvent(instanceId, EVENTS.abort, data);
  } catch (error) {
    if (!/No instance with ID/i.test((error as Error).message)) throw error;
  }
}

/** `data`: the body, read and validated before anything else (undefined only if it was not). */
async function create(data: z.infer<typeof rolloutRequestSchema> | undefined, caller: Principal, deps: RolloutApiDependencies): Promise<RolloutApiResponse> {
  if (data === undefined) return { status: 400, body: { error: 'body: is required' } };
  const { requireDistinctApprover, allowEmpty, ...rolloutRequest } = data;
  const plan = await deps.plan(rolloutRequest);
  const empty = emptyPlan(plan, rolloutRequest.target);
  if (empty !== undefined && !allowEmpty) return empty;
  const distinctApproverWaves = plan.waves.filter((wave) => requireDistinctApprover ?? wave.production === true).map((wave) => wave.name);
  if (rolloutRequest.dryRun) return { status: 200, body: { dryRun: true, plan, distinctApproverWaves } };
  const rolloutId = randomUUID();
  const input: RolloutInput = { rolloutId, plan, gates: DEFAULT_GATES, requestedBy: caller.name, haltWaitMinutes: 7 * 24 * 60 };
  await deps.client.startNew(ORCHESTRATIONS.rollout, { instanceId: rolloutId, input });
  await deps.store.recordStart({
    rolloutId,
    target: plan.target,
    upgradeType: plan.upgradeType,
    requestedBy: caller.name,
    ...(caller.objectId === undefined ? {} : { requestedByObjectId: caller.objectId }),
    ...(caller.appId === undefined ? {} : { requestedByAppId: caller.appId }),
    distinctApproverWaves,
    createdAt: deps.now.toISOString(),
    waves: plan.waves.length,
    clusters: plan.waves.reduce((sum, wave) => sum + wave.clusters.length, 0),
  });
  return { status: 202, body: { id: rolloutId, statusUrl: `/api/rollouts/${rolloutId}`, plan, distinctApproverWaves } };
}

/**
 * Separation of duties (requireDistinctApprover): why `caller` may not approve `wave`, or undefined
 * when they may. Principals are compared by Entra object id, never by display name; when either id
 * is unknown, or the rollout's record is missing, the approval is refused rather than guessed.
 */
async function distinctApproverRefusal(id: string, wave: string | undefined, caller: Principal, deps: RolloutApiDependencies): Promise<string | undefined> {
  const record = await deps.store.get(id);
  const rule = 'separation of duties (requireDistinctApprover)';
  if (record === undefined) return `${rule}: rollout ${id} has no start record, so its requester cannot be told apart from the approver; approval refused`;
  const required = record.distinctApproverWaves ?? [];
  if (wave === undefined || !required.includes(wave)) return undefined;
  if (record.requestedByObjectId === undefined || caller.objectId === undefined) {
    return `${rule}: wave ${wave} of rollout ${id} needs an approver other than its requester, and ${caller.objectId === undefined ? 'your token' : 'the request that started it'} carries no object id (oid) to tell them apart; approval refused`;
  }
  if (samePrincipal(caller, { objectId: record.requestedByObjectId })) {
    return `${rule}: ${caller.name} (oid ${caller.objectId}) started rollout ${id} and cannot approve its wave ${wave}; another holder of ${ROLLOUT_ROLES.manage} must approve`;
  }
  return undefined;
}

/**
 * 422 for a plan that would upgrade nothing, as a rehearsal exits 1 (CONTRACTS.md §4): one line
 * saying so with the reasons, each excluded or skipped cluster with its own, and the plan.
 * The request is well-formed (not 400) and the fleet may change (not 409): it cannot be processed as it stands.
 */
function emptyPlan(plan: RolloutPlan, target: string): RolloutApiResponse | undefined {
  if (clustersToUpgrade(plan).length > 0) return undefined;
  const notUpgrading = planNotUpgrading(plan);
  return {
    status: 422,
    body: {
      error: `${nothingToUpgradeLine(target, notUpgrading)}; set allowEmpty to plan or start it anyway`,
      reasons: notUpgrading.map((entry) => ({ resourceId: entry.resourceId, kind: entry.kind, reason: entry.reason })),
      plan,
    },
  };
}

/** Each cluster's pool rolling reports since the rollout was created (older ones are of an earlier upgrade). */
async function withPoolRolling<T extends { resourceId: string }>(
  clusters: T[],
  createdTime: unknown,
  deps: RolloutApiDependencies,
): Promise<Array<T & { poolRolling?: PoolRollingProgress[] }>> {
  if (deps.poolRolling === undefined) return clusters;
  let byCluster: Map<string, PoolRollingProgress[]>;
  try {
    byCluster = await deps.poolRolling();
  } catch {
    // Extra detail from the events table: the rollout's own status is still worth answering without it.
    return clusters;
  }
  // A real durable client gives a Date, the HTTP shim an ISO string.
  const created = createdTime instanceof Date || typeof createdTime === 'string' ? new Date(createdTime) : undefined;
  const since = created === undefined || Number.isNaN(created.getTime()) ? '' : created.toISOString();
  return clusters.map((cluster) => ({
    ...cluster,
    poolRolling: (byCluster.get(resourceKey(cluster.resourceId)) ?? []).filter((report) => report.eventTime >= since),
  }));
}
