/**
 * The silences HTTP API. Roles (Entra app roles): `Alerts.Read` lists, `Alerts.Manage` also creates
 * and expires. Bodies are validated; errors name the field.
 */
import { z } from 'zod';

import { authorizeRole, type Principal } from '../auth/principal.js';
import { FleetGuardError } from '../errors.js';
import { parseJsonBody } from '../jsonBody.js';
import { unavailable } from '../publicError.js';
import { parseDuration } from './alertingConfig.js';
import type { AlertStore } from './alertStore.js';

export const ALERT_ROLES = { read: 'Alerts.Read', manage: 'Alerts.Manage' } as const;

export interface ApiRequest {
  method: string;
  principalHeader: string | null | undefined;
  params: Record<string, string>;
  /** Raw body text. */
  body: string;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

const createSchema = z
  .object({
    matchers: z
      .object({
        ruleId: z.string().min(1).max(100).optional(),
        cluster: z.string().min(1).max(500).optional(),
        tags: z.record(z.string().min(1).max(512), z.string().max(256)).optional(),
      })
      .strict(),
    duration: z.string().refine((value) => /^\d+[smhd]$/.test(value), 'must be a duration such as 2h or 1d'),
    comment: z.string().min(1, 'is required: say why').max(1000),
  })
  .strict();

/** Who acts on a silence, as the silence records it: name, object id and client app id. */
const silenceActor = (caller: Principal) => ({
  name: caller.name,
  ...(caller.objectId === undefined ? {} : { objectId: caller.objectId }),
  ...(caller.appId === undefined ? {} : { appId: caller.appId }),
});

const MAX_SILENCE_MS = 30 * 86_400_000;

export async function handleSilencesRequest(operation: 'list' | 'create' | 'expire', request: ApiRequest, store: AlertStore, now: Date): Promise<ApiResponse> {
  const authorization = authorizeRole(request.principalHeader, operation === 'list' ? ALERT_ROLES.read : ALERT_ROLES.manage, ALERT_ROLES.manage);
  if ('status' in authorization) return authorization;
  const caller = authorization.principal;
  try {
    await store.ensureTable();
    if (operation === 'list') {
      const silences = await store.listSilences();
      return {
        status: 200,
        body: {
          silences: silences.map((silence) => ({
            ...silence,
            active: Date.parse(silence.startsAt) <= now.getTime() && now.getTime() < Date.parse(silence.endsAt),
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
    const parsed = parseJsonBody(request.body, createSchema);
    if ('error' in parsed) return { status: 400, body: { error: parsed.error } };
    const duration = parseDuration(parsed.data.duration);
    if (duration > MAX_SILENCE_MS) return { status: 400, body: { error: 'duration: at most 30d' } };
    const matchers = Object.fromEntries(Object.entries(parsed.data.matchers).filter(([, value]) => value !== undefined));
    const silence = await store.createSilence(matchers, {
      startsAt: now,
      endsAt: new Date(now.getTime() + duration),
      createdBy: silenceActor(caller),
      comment: parsed.data.comment,
    });
    return { status: 201, body: silence };
  } catch (error) {
    if (error instanceof FleetGuardError && error.reason === 'badInput') return { status: 400, body: { error: error.message } };
    // Storage trouble: a server error in words, without internals (they are logged).
    return unavailable('the silence store is unavailable', error);
  }
}
