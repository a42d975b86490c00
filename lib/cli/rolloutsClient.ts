/**
 * A small typed client of the deployed app's rollouts API (`/api/rollouts`), for `fleetguard
 * rollouts`. Each call gets an Entra token for the app's audience from the given credential
 * (DefaultAzureCredential on an operator's machine) and validates the answer with zod, so a
 * different app version fails with a message naming the field rather than printing nonsense.
 * The token and the function key go into headers only: never into a message, a log or an error.
 */
import type { TokenCredential } from '@azure/core-auth';
import { z } from 'zod';

import { describeError, describeZodError, FleetGuardError, reasonFromStatus } from '../errors.js';

export type RolloutOperation = 'approve' | 'resume' | 'abort' | 'retry';

export interface RolloutsClientOptions {
  /** Base URL of the app, e.g. https://fleetguard.azurewebsites.net (validated by lib/config.ts apiBaseUrl). */
  apiUrl: string;
  /** Entra audience of the app (api://<appId>); the token is asked for `${audience}/.default`. */
  audience: string;
  credential: TokenCredential;
  /** The function key the routes also require (authLevel function), sent as `x-functions-key`. */
  functionKey?: string | undefined;
  /** Per request; default 30 s. */
  timeoutMs?: number;
}

const clusterOutcome = z.looseObject({
  resourceId: z.string(),
  status: z.string(),
  fromVersion: z.string(),
  toVersion: z.string(),
  reason: z.string().nullish(),
});
const waveOutcome = z.looseObject({ name: z.string(), status: z.string(), clusters: z.array(clusterOutcome), haltReason: z.string().nullish() });
/** The orchestration's output once it has ended (RolloutOutcome). */
export const rolloutOutcomeSchema = z.looseObject({
  status: z.string(),
  haltReason: z.string().nullish(),
  waves: z.array(waveOutcome),
  excluded: z.array(z.looseObject({ resourceId: z.string(), reason: z.string() })).default([]),
});
/** What the rollout orchestration publishes while it runs. */
export const liveStatusSchema = z.looseObject({
  status: z.string().optional(),
  haltReason: z.string().nullish(),
  wave: z.string().nullish(),
  waves: z.array(z.looseObject({ name: z.string(), status: z.string(), upgraded: z.number(), total: z.number() })).optional(),
});
const plannedCluster = z.looseObject({
  resourceId: z.string(),
  name: z.string(),
  fromVersion: z.string(),
  toVersion: z.string(),
  skipReason: z.string().nullish(),
});
const plannedWave = z.looseObject({
  name: z.string(),
  maxParallel: z.number(),
  soakMinutes: z.number(),
  requireApproval: z.boolean(),
  clusters: z.array(plannedCluster),
  excluded: z.array(z.looseObject({ resourceId: z.string(), fromVersion: z.string(), reason: z.string() })),
  production: z.boolean().optional(),
});
export const planSchema = z.looseObject({
  target: z.string(),
  upgradeType: z.string(),
  waves: z.array(plannedWave),
  excluded: z.array(z.looseObject({ resourceId: z.string(), reason: z.string() })),
});

const actionRecord = z.looseObject({ action: z.string(), by: z.string(), byObjectId: z.string().optional(), byAppId: z.string().optional(), at: z.string() });
/** Node-pool rollback applicability of a cluster (rollback.ts ClusterRollbackStatus), on halted or ended rollouts. */
const poolRollbackView = z.looseObject({
  pool: z.string(),
  version: z.string().nullish(),
  nodeImageVersion: z.string().nullish(),
  upgradedByRollout: z.boolean().optional(),
  rollback: z.looseObject({
    applies: z.boolean(),
    to: z.looseObject({ orchestratorVersion: z.string(), nodeImageVersion: z.string().nullish() }).optional(),
    reason: z.string().optional(),
  }),
});
const clusterRollbackView = z.looseObject({
  controlPlane: z.looseObject({ applies: z.boolean(), reason: z.string() }).optional(),
  pools: z.array(poolRollbackView).default([]),
});
const rollbackTarget = z.looseObject({
  resourceId: z.string(),
  pool: z.string(),
  to: z.looseObject({ orchestratorVersion: z.string(), nodeImageVersion: z.string().nullish() }),
});
const rollbackActor = z.looseObject({ by: z.string(), byObjectId: z.string().optional(), byAppId: z.string().optional(), at: z.string() });
const rollbackRequestView = z.looseObject({
  rollbackId: z.string(),
  state: z.string(),
  requested: rollbackActor,
  approved: rollbackActor.optional(),
  targets: z.array(rollbackTarget).default([]),
  results: z.array(z.looseObject({ resourceId: z.string(), pool: z.string(), status: z.string(), reason: z.string().nullish() })).optional(),
});
export type RollbackRequestView = z.output<typeof rollbackRequestView>;
/** The answer to POST /rollouts/{id}/rollback and /rollback/approve. */
export const rollbackAnswerSchema = z.looseObject({
  id: z.string(),
  rollbackId: z.string(),
  state: z.string(),
  by: z.string().optional(),
  targets: z.array(rollbackTarget).default([]),
});
export type RollbackAnswer = z.output<typeof rollbackAnswerSchema>;

const clusterRecord = z.looseObject({
  resourceId: z.string(),
  wave: z.string(),
  status: z.string(),
  fromVersion: z.string(),
  toVersion: z.string(),
  reason: z.string().nullish(),
  rollback: clusterRollbackView.optional(),
});

export const rolloutStatusSchema = z.looseObject({
  id: z.string(),
  runtimeStatus: z.string(),
  customStatus: z.unknown().optional(),
  output: z.unknown().optional(),
  input: z.unknown().optional(),
  createdTime: z.string().nullish(),
  lastUpdatedTime: z.string().nullish(),
  actions: z.array(actionRecord).default([]),
  clusters: z.array(clusterRecord).default([]),
  /** Set on a retry: the rollout it re-runs clusters of. */
  retryOf: z.string().optional(),
  /** Retries of this rollout, with the clusters each re-runs. */
  retries: z.array(z.looseObject({ id: z.string(), by: z.string(), at: z.string(), clusters: z.array(z.string()) })).default([]),
  rollbacks: z.array(rollbackRequestView).default([]),
  rollbackProblem: z.string().optional(),
});
export type RolloutStatus = z.output<typeof rolloutStatusSchema>;
export type RolloutOutcomeView = z.output<typeof rolloutOutcomeSchema>;
export type LiveStatus = z.output<typeof liveStatusSchema>;
export type PlanView = z.output<typeof planSchema>;

const rolloutSummary = z.looseObject({
  rolloutId: z.string(),
  target: z.string(),
  upgradeType: z.string(),
  requestedBy: z.string(),
  createdAt: z.string(),
  waves: z.number(),
  clusters: z.number(),
  status: z.string().optional(),
});
export const listSchema = z.looseObject({ rollouts: z.array(rolloutSummary) });
export type RolloutSummary = z.output<typeof rolloutSummary>;

export const startSchema = z.looseObject({
  id: z.string().optional(),
  dryRun: z.boolean().optional(),
  plan: planSchema,
  distinctApproverWaves: z.array(z.string()).optional(),
});
export type StartAnswer = z.output<typeof startSchema>;
export const actionSchema = z.looseObject({ id: z.string(), action: z.string(), by: z.string().optional() });
export type ActionAnswer = z.output<typeof actionSchema>;
/** POST /rollouts/{id}/retry: the new rollout, the one it retries, and the clusters it re-runs. */
export const retrySchema = z.looseObject({
  id: z.string(),
  retryOf: z.string(),
  by: z.string().optional(),
  clusters: z.array(z.looseObject({ resourceId: z.string(), wave: z.string(), status: z.string() })),
});
export type RetryAnswer = z.output<typeof retrySchema>;

const errorBody = z.object({ error: z.string() });

const ROLLOUT_ID = /^[0-9a-f-]{36}$/i;

export class RolloutsClient {
  constructor(private readonly options: RolloutsClientOptions) {}

  start(request: unknown): Promise<StartAnswer> {
    return this.call('POST', '/api/rollouts', startSchema, request);
  }

  list(): Promise<z.output<typeof listSchema>> {
    return this.call('GET', '/api/rollouts', listSchema);
  }

  get(id: string): Promise<RolloutStatus> {
    return this.call('GET', `/api/rollouts/${rolloutId(id)}`, rolloutStatusSchema);
  }

  act(id: string, operation: RolloutOperation): Promise<ActionAnswer> {
    return this.call('POST', `/api/rollouts/${rolloutId(id)}/${operation}`, actionSchema, {});
  }

  /** Re-runs the failed and skipped clusters of an ended rollout (all of them, or the named ones) as a new rollout. */
  retry(id: string, clusters?: readonly string[]): Promise<RetryAnswer> {
    return this.call('POST', `/api/rollouts/${rolloutId(id)}/retry`, retrySchema, clusters === undefined || clusters.length === 0 ? {} : { clusters });
  }

  /** Asks for a node-pool rollback of the named clusters (another principal approves it). */
  rollback(id: string, clusters: readonly string[]): Promise<RollbackAnswer> {
    return this.call('POST', `/api/rollouts/${rolloutId(id)}/rollback`, rollbackAnswerSchema, { clusters });
  }

  /** Approves the rollback waiting for approval (the only one, or `rollbackId`). */
  approveRollback(id: string, rollbackId?: string): Promise<RollbackAnswer> {
    if (rollbackId !== undefined && !ROLLOUT_ID.test(rollbackId))
      throw new FleetGuardError('badInput', `'${rollbackId}' is not a rollback id (a GUID, as \`fleetguard rollouts status\` shows)`);
    return this.call(
      'POST',
      `/api/rollouts/${rolloutId(id)}/rollback/approve`,
      rollbackAnswerSchema,
      rollbackId === undefined ? {} : { rollbackId: rollbackId.toLowerCase() },
    );
  }

  private async token(): Promise<string> {
    const scope = `${this.options.audience}/.default`;
    let token: { token: string } | null;
    try {
      token = await this.options.credential.getToken(scope);
    } catch (error) {
      throw new FleetGuardError(
        'authError',
        `no Entra token for ${scope} (DefaultAzureCredential: sign in with az login, or check --audience): ${describeError(error).slice(0, 300)}`,
      );
    }
    if (token === null || token.token === '') throw new FleetGuardError('authError', `no Entra token for ${scope}`);
    return token.token;
  }

  private async call<Schema extends z.ZodType>(method: 'GET' | 'POST', path: string, schema: Schema, body?: unknown): Promise<z.output<Schema>> {
    const url = `${this.options.apiUrl}${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${await this.token()}`, accept: 'application/json' };
    if (this.options.functionKey !== undefined) headers['x-functions-key'] = this.options.functionKey;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new FleetGuardError('serverError', `cannot reach ${this.options.apiUrl} (${method} ${path}): ${networkCause(error)}`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      json = undefined;
    }
    if (!response.ok)
      throw new FleetGuardError(reasonFromStatus(response.status), statusLine(response.status, method, path, json), { status: response.status });
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new FleetGuardError(
        'serverError',
        `${method} ${path} answered ${response.status} with an unexpected body (${describeZodError(parsed.error, { whole: 'body' })}): is the app a different version?`,
      );
    }
    return parsed.data;
  }
}

/** fetch says only "fetch failed"; the socket's code (ECONNREFUSED, ENOTFOUND, ...) is in its cause. */
function networkCause(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; errors?: Array<{ code?: unknown }>; message?: unknown } }).cause;
  const code = cause?.code ?? cause?.errors?.find((inner) => typeof inner.code === 'string')?.code;
  if (typeof code === 'string') return code;
  if ((error as { name?: unknown }).name === 'TimeoutError') return 'no answer in time';
  return typeof cause?.message === 'string' ? cause.message : describeError(error);
}

function rolloutId(id: string): string {
  if (!ROLLOUT_ID.test(id)) throw new FleetGuardError('badInput', `'${id}' is not a rollout id (a GUID, as \`fleetguard rollouts list\` shows)`);
  return id.toLowerCase();
}

/** One clear line per refusal: what was refused, and the server's own reason or the likely cause. */
function statusLine(status: number, method: string, path: string, body: unknown): string {
  const parsed = errorBody.safeParse(body);
  const server = parsed.success ? parsed.data.error : undefined;
  const request = `${method} ${path}`;
  switch (status) {
    case 401:
      return `401 Unauthorized: ${request}: ${server ?? 'the app refused the token'} (check --audience: it must be the app's Application ID URI, and the function key)`;
    case 403:
      return `403 Forbidden: ${request}: ${server ?? 'not allowed'}`;
    case 404:
      return `404 Not Found: ${request}: ${server ?? 'this app has no such route (an older version of the app?)'}`;
    case 409:
      return `409 Conflict: ${request}: ${server ?? 'the rollout is not in a state that allows this'}`;
    default:
      return `${status}: ${request}: ${server ?? 'the app failed'}`;
  }
}
