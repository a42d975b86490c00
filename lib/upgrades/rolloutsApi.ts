/**
 * The rollouts HTTP API: plan or start (`POST /rollouts`), list and read, approve, resume, abort.
 * Roles: `Rollouts.Read` reads, `Rollouts.Manage` also writes. Every write records its principal.
 * Bad bodies are 400 naming the field, unknown ids 404, actions that do not fit the state 409.
 */
import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import { authorizeRole, type Principal } from '../auth/principal.js';
import { describeError, FleetGuardError } from '../errors.js';
import { parseJsonBody } from '../jsonBody.js';
import { resourceKey } from '../model/cluster.js';
import type { PoolRollingProgress } from '../model/notice.js';
import { DEFAULT_GATES, EVENTS, ORCHESTRATIONS, type RolloutInput } from './orchestrators.js';
import { clustersToUpgrade, nothingToUpgradeLine, planNotUpgrading, type RolloutPlan, type RolloutRequest } from './plan.js';
import type { RolloutStore } from './rolloutStore.js';

export const ROLLOUT_ROLES = { read: 'Rollouts.Read', manage: 'Rollouts.Manage' } as const;

export interface DurableClientLike {
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
  getStatus(instanceId: string): Promise<{ runtimeStatus?: unknown; customStatus?: unknown; output?: unknown; createdTime?: unknown; lastUpdatedTime?: unknown } | undefined>;
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
}

export interface RolloutApiRequest {
  principalHeader: string | null | undefined;
  params: Record<string, string>;
  body: string;
}

export interface RolloutApiResponse {
  status: number;
  body: unknown;
}

const waveSettings = z.object({ maxParallel: z.number().int().min(1).max(100), soakMinutes: z.number().int().min(0).max(1440), requireApproval: z.boolean() }).strict();

const requestSchema = z
  .object({
    target: z.string().regex(/^\d+\.\d+(\.\d+)?$/, 'must be a Kubernetes version such as 1.32 or 1.32.4'),
    scope: z.object({ subscriptions: z.array(z.string()).optional(), tags: z.record(z.string(), z.string()).optional(), clusterIds: z.array(z.string()).optional() }).strict().default({}),
    waves: z.union([z.object({ byTag: z.string().min(1) }).strict(), z.object({ explicit: z.array(z.array(z.string().min(1)).min(1)).min(1) }).strict()]),
    waveSettings: waveSettings.default({ maxParallel: 1, soakMinutes: 30, requireApproval: false }),
    waveOverrides: z.record(z.string(), waveSettings.partial()).optional(),
    upgradeType: z.enum(['Full', 'ControlPlaneOnly', 'NodeImageOnly']).default('Full'),
    maxFailedClusters: z.number().int().min(0).default(0),
    respectMaintenanceWindows: z.boolean().default(false),
    allowMultiMinorHops: z.boolean().default(false),
    dryRun: z.boolean().default(false),
    /** Plan or start a rollout that upgrades nothing (every cluster excluded or skipped); otherwise 422. */
    allowEmpty: z.boolean().default(false),
  })
  .strict();

const ROLLOUT_ID = /^[0-9a-f-]{36}$/i;

export async function handleRolloutRequest(operation: 'create' | 'list' | 'get' | 'approve' | 'resume' | 'abort', request: RolloutApiRequest, deps: RolloutApiDependencies): Promise<RolloutApiResponse> {
  const authorization = authorizeRole(request.principalHeader, operation === 'list' || operation === 'get' ? ROLLOUT_ROLES.read : ROLLOUT_ROLES.manage, ROLLOUT_ROLES.manage);
  if ('status' in authorization) return authorization;
  const caller = authorization.principal;
  try {
    await deps.store.ensureTable();
    if (operation === 'create') return await create(request, caller, deps);
    if (operation === 'list') return { status: 200, body: { rollouts: await deps.store.list() } };
    const id = request.params['id'] ?? '';
    if (!ROLLOUT_ID.test(id)) return { status: 400, body: { error: 'id: must be a rollout id' } };
    const status = await deps.client.getStatus(id);
    if (status === undefined || status.runtimeStatus === undefined) return { status: 404, body: { error: `no rollout ${id}` } };
    if (operation === 'get') return { status: 200, body: { id, ...status, actions: await deps.store.actions(id), clusters: await withPoolRolling(await deps.store.clusterStatuses(id), status.createdTime, deps) } };
    const custom = (status.customStatus ?? {}) as { status?: string };
    const running = status.runtimeStatus === 'Running' || status.runtimeStatus === 'Pending';
    const fits =
      operation === 'approve' ? running && custom.status === 'WaitingForApproval' : operation === 'resume' ? running && custom.status === 'Halted' : running;
    if (!fits) return { status: 409, body: { error: `cannot ${operation} rollout ${id}: it is ${typeof status.runtimeStatus === "string" ? status.runtimeStatus : "unknown"}${custom.status ? ` (${custom.status})` : ''}` } };
    const event = operation === 'approve' ? EVENTS.approve : operation === 'resume' ? EVENTS.resume : EVENTS.abort;
    if (operation === 'abort' && custom.status !== 'Halted') await deps.client.terminate(id, `aborted by ${caller.name}`);
    else await deps.client.raiseEvent(id, event, { by: caller.name });
    await deps.store.recordAction(id, { action: operation, by: caller.name, at: deps.now.toISOString() });
    return { status: 202, body: { id, action: operation, by: caller.name } };
  } catch (error) {
    if (error instanceof FleetGuardError && error.reason === 'badInput') return { status: 400, body: { error: error.message } };
    return { status: 503, body: { error: `rollouts are unavailable right now (${describeError(error).slice(0, 200)})` } };
  }
}

async function create(request: RolloutApiRequest, caller: Principal, deps: RolloutApiDependencies): Promise<RolloutApiResponse> {
  const parsed = parseJsonBody(request.body, requestSchema);
  if ('error' in parsed) return { status: 400, body: { error: parsed.error } };
  const { allowEmpty, ...rolloutRequest } = parsed.data;
  const plan = await deps.plan(rolloutRequest);
  const empty = emptyPlan(plan, rolloutRequest.target);
  if (empty !== undefined && !allowEmpty) return empty;
  if (rolloutRequest.dryRun) return { status: 200, body: { dryRun: true, plan } };
  const rolloutId = randomUUID();
  const input: RolloutInput = { rolloutId, plan, gates: DEFAULT_GATES, requestedBy: caller.name, haltWaitMinutes: 7 * 24 * 60 };
  await deps.client.startNew(ORCHESTRATIONS.rollout, { instanceId: rolloutId, input });
  await deps.store.recordStart({
    rolloutId,
    target: plan.target,
    upgradeType: plan.upgradeType,
    requestedBy: caller.name,
    createdAt: deps.now.toISOString(),
    waves: plan.waves.length,
    clusters: plan.waves.reduce((sum, wave) => sum + wave.clusters.length, 0),
  });
  return { status: 202, body: { id: rolloutId, statusUrl: `/api/rollouts/${rolloutId}`, plan } };
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
async function withPoolRolling<T extends { resourceId: string }>(clusters: T[], createdTime: unknown, deps: RolloutApiDependencies): Promise<Array<T & { poolRolling?: PoolRollingProgress[] }>> {
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
  return clusters.map((cluster) => ({ ...cluster, poolRolling: (byCluster.get(resourceKey(cluster.resourceId)) ?? []).filter((report) => report.eventTime >= since) }));
}
