/**
 * The silences HTTP API. Roles (Entra app roles): `Alerts.Read` lists, `Alerts.Manage` also creates
 * and expires. Bodies are validated; errors name the field.
 */
import { z } from 'zod';

import { AZURE_TAGS, MAX_SUBSCRIPTION_ID_LENGTH, SILENCE_BODY_LIMIT_BYTES } from '../apiLimits.js';
import { authorizeRole, type Principal } from '../auth/principal.js';
import type { RequestBody } from '../boundedBody.js';
import { FleetGuardError } from '../errors.js';
import { boundedRecord, readJsonBody } from '../jsonBody.js';
import { SEVERITIES } from '../model/finding.js';
import { unavailable } from '../publicError.js';
import type { SilenceMatchers } from './alert.js';
import { parseDuration } from './alertingConfig.js';
import type { AlertStore } from './alertStore.js';
import type { SilenceActor } from './store/silences.js';

export const ALERT_ROLES = { read: 'Alerts.Read', manage: 'Alerts.Manage' } as const;

export interface ApiRequest {
  method: string;
  principalHeader: string | null | undefined;
  params: Record<string, string>;
  /** The body, read (within {@link SILENCE_BODY_LIMIT_BYTES}) only after the role check: lib/boundedBody.ts. */
  body: RequestBody;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

/** `POST /silences`. Every field has a limit (lib/apiLimits.ts), named in the 400. */
export const silenceCreateSchema = z
  .object({
    matchers: z
      .object({
        ruleId: z.string().min(1).max(100).optional(),
        cluster: z.string().min(1).max(500).optional(),
        subscription: z.string().min(1).max(MAX_SUBSCRIPTION_ID_LENGTH).optional(),
        severity: z.enum(SEVERITIES).optional(),
        tags: boundedRecord(z.string().min(1).max(AZURE_TAGS.nameLength), z.string().max(AZURE_TAGS.valueLength), AZURE_TAGS.maxEntries).optional(),
      })
      .strict(),
    duration: z
      .string()
      .max(16)
      .refine((value) => /^\d+[smhd]$/.test(value), 'must be a duration such as 2h or 1d'),
    comment: z.string().min(1, 'is required: say why').max(1000),
  })
  .strict();

/** Who acts on a silence, as the silence records it: name, object id and client app id. */
const silenceActor = (caller: Principal) => ({
  name: caller.name,
  ...(caller.objectId === undefined ? {} : { objectId: caller.objectId }),
  ...(caller.appId === undefined ? {} : { appId: caller.appId }),
});

/** The default of FLEETGUARD_MAX_SILENCE_DURATION (lib/config.ts). */
export const DEFAULT_MAX_SILENCE_MS = 30 * 86_400_000;

export interface SilenceLimits {
  /** Silences that may be active at once (FLEETGUARD_MAX_ACTIVE_SILENCES); creating one more is a 400 naming the limit. */
  maxActive: number;
  /** The longest silence (FLEETGUARD_MAX_SILENCE_DURATION), in milliseconds; {@link DEFAULT_MAX_SILENCE_MS} when absent. */
  maxDurationMs?: number;
}

/** A duration in the largest whole unit: `30d`, `36h`, `90m`, `45s` (the form parseDuration reads). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}

/**
 * The default of FLEETGUARD_MAX_ACTIVE_SILENCES: far above what a team keeps active (each silence is
 * a reviewed exception with a comment), low enough that listing them stays one small table query.
 * Alertmanager has the same kind of limit (`--silences.max-silences`, prometheus/alertmanager#3852).
 */
export const DEFAULT_MAX_ACTIVE_SILENCES = 500;

export async function handleSilencesRequest(
  operation: 'list' | 'create' | 'expire',
  request: ApiRequest,
  store: AlertStore,
  now: Date,
  limits: SilenceLimits = { maxActive: DEFAULT_MAX_ACTIVE_SILENCES },
): Promise<ApiResponse> {
  const authorization = authorizeRole(request.principalHeader, operation === 'list' ? ALERT_ROLES.read : ALERT_ROLES.manage, ALERT_ROLES.manage);
  if ('status' in authorization) return authorization;
  const caller = authorization.principal;
  // The body is read only now, after the role check, and within its limit.
  const parsed = operation === 'create' ? await readJsonBody(request.body, silenceCreateSchema, { limitBytes: SILENCE_BODY_LIMIT_BYTES }) : undefined;
  if (parsed !== undefined && 'error' in parsed) return { status: parsed.status, body: { error: parsed.error } };
  try {
    await store.ensureTable();
    if (operation === 'list') {
      const silences = await store.listSilences();
      return {
        status: 200,
        body: {
          silences: silences.map((silence) => ({
            ...silence,
            active: isActive(silence, now),
          })),
        },
      };
    }
    if (operation === 'expire') {
      const id = request.params['id'] ?? '';
      if (!/^[0-9a-f-]{36}$/i.test(id)) return { status: 400, body: { error: 'id: must be a silence id' } };
      return (await store.expireSilence(id, now, silenceActor(caller)))
        ? {
            status: 200,
            body: {
              id,
              expiredBy: caller.name,
              ...(caller.objectId === undefined ? {} : { expiredByObjectId: caller.objectId }),
              ...(caller.appId === undefined ? {} : { expiredByAppId: caller.appId }),
            },
          }
        : { status: 404, body: { error: `no silence ${id}` } };
    }
    if (parsed === undefined) return { status: 400, body: { error: 'body: is required' } };
    const matchers = Object.fromEntries(Object.entries(parsed.data.matchers).filter(([, value]) => value !== undefined));
    return await createSilenceWithinLimits(
      store,
      { matchers, durationMs: parseDuration(parsed.data.duration), createdBy: silenceActor(caller), comment: parsed.data.comment },
      now,
      limits,
    );
  } catch (error) {
    if (error instanceof FleetGuardError && error.reason === 'badInput') return { status: 400, body: { error: error.message } };
    // Storage trouble: a server error in words, without internals (they are logged).
    return unavailable('the silence store is unavailable', error);
  }
}

/** A silence to create, validated already except for the limits. */
export interface SilenceRequest {
  matchers: SilenceMatchers;
  durationMs: number;
  createdBy: SilenceActor;
  comment: string;
  /** A fixed id makes the create idempotent: the store throws SilenceExistsError when it exists. */
  id?: string;
}

/**
 * Creates a silence within FLEETGUARD_MAX_SILENCE_DURATION and FLEETGUARD_MAX_ACTIVE_SILENCES: 201
 * with the silence, or 400 naming the limit. The HTTP API and Slack's silence buttons
 * (interactions/slackInteraction.ts) both create through this, so both apply the same limits.
 * Store errors are thrown (SilenceExistsError among them), for the caller to answer.
 */
export async function createSilenceWithinLimits(store: AlertStore, request: SilenceRequest, now: Date, limits: SilenceLimits): Promise<ApiResponse> {
  const maxDuration = limits.maxDurationMs ?? DEFAULT_MAX_SILENCE_MS;
  if (request.durationMs > maxDuration) return { status: 400, body: { error: `duration: at most ${formatDuration(maxDuration)}` } };
  // Checked before the write, so two creates at once may both pass at the limit: a cap on growth, not an exact count.
  const active = (await store.listSilences()).filter((silence) => isActive(silence, now)).length;
  if (active >= limits.maxActive)
    return {
      // 400 like every other limit of the API (issue 14: each refusal names its limit).
      status: 400,
      body: {
        error: `silences: ${active} are active, the limit is ${limits.maxActive} (FLEETGUARD_MAX_ACTIVE_SILENCES); expire one (DELETE /api/silences/{id}) before creating another`,
      },
    };
  const silence = await store.createSilence(request.matchers, {
    startsAt: now,
    endsAt: new Date(now.getTime() + request.durationMs),
    createdBy: request.createdBy,
    comment: request.comment,
    ...(request.id === undefined ? {} : { id: request.id }),
  });
  return { status: 201, body: silence };
}

/** Active at `now`: started, not ended (an expired silence's end is the time it was expired). */
export function isActive(silence: { startsAt: string; endsAt: string }, now: Date): boolean {
  return Date.parse(silence.startsAt) <= now.getTime() && now.getTime() < Date.parse(silence.endsAt);
}
