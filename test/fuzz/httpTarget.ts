/**
 * HTTP API fuzz target: every registered HTTP function invoked as the host invokes it, mostly by an
 * authorized caller, with arbitrary route ids and bodies (arbitrary text, invalid JSON, arbitrary
 * JSON, valid bodies with fields deleted, retyped or joined by `__proto__` and friends, huge numbers,
 * unicode) and sometimes a malformed principal header. Properties: never a 5xx (nothing here is
 * unavailable); a 400 names the field; an authorized caller is never told 401/403; no rollout
 * starts unless the answer is 202 to a create, and a 202 to a create started exactly one.
 */
import fc from 'fast-check';

import { encodePrincipal } from '../../lib/auth/principal.js';
import type { FuzzApp } from './fuzzApp.js';
import { type FuzzTarget, violated } from './fuzzTarget.js';
import { awkwardJson, HOSTILE_KEYS, type Json, mutated } from './jsonMutations.js';

interface Endpoint {
  method: string;
  /** The route with `{id}` for the id parameter. */
  route: string;
  family: 'Rollouts' | 'Alerts';
  write: boolean;
  /** Fields a 400 may name (the first segment of the error's path). */
  fields: readonly string[];
  /** A valid body to mutate, for the endpoints that read one. */
  body?: Json;
}

const ROLLOUT_FIELDS = [
  'body',
  'target',
  'scope',
  'waves',
  'waveSettings',
  'waveOverrides',
  'upgradeType',
  'maxFailedClusters',
  'respectMaintenanceWindows',
  'allowMultiMinorHops',
  'dryRun',
];
const VALID_ROLLOUT: Json = {
  target: '1.32',
  waves: { byTag: 'ring' },
  waveSettings: { maxParallel: 2, soakMinutes: 10, requireApproval: false },
  waveOverrides: { '2': { requireApproval: true } },
  allowMultiMinorHops: true,
  dryRun: true,
};
const VALID_SILENCE: Json = { matchers: { ruleId: 'AKS-LOCAL-ACCOUNTS', cluster: 'web-dev', tags: { env: 'dev' } }, duration: '2h', comment: 'ticket 42' };

export const ENDPOINTS: Record<string, Endpoint> = {
  rolloutsCreate: { method: 'POST', route: 'rollouts', family: 'Rollouts', write: true, fields: ROLLOUT_FIELDS, body: VALID_ROLLOUT },
  rolloutsList: { method: 'GET', route: 'rollouts', family: 'Rollouts', write: false, fields: [] },
  rolloutsGet: { method: 'GET', route: 'rollouts/{id}', family: 'Rollouts', write: false, fields: ['id'] },
  rolloutsApprove: { method: 'POST', route: 'rollouts/{id}/approve', family: 'Rollouts', write: true, fields: ['id'] },
  rolloutsResume: { method: 'POST', route: 'rollouts/{id}/resume', family: 'Rollouts', write: true, fields: ['id'] },
  rolloutsAbort: { method: 'POST', route: 'rollouts/{id}/abort', family: 'Rollouts', write: true, fields: ['id'] },
  rolloutsRetry: {
    method: 'POST',
    route: 'rollouts/{id}/retry',
    family: 'Rollouts',
    write: true,
    fields: ['id', 'body', 'clusters'],
    body: { clusters: ['web-dev'] },
  },
  rolloutsRollback: {
    method: 'POST',
    route: 'rollouts/{id}/rollback',
    family: 'Rollouts',
    write: true,
    fields: ['id', 'body', 'clusters'],
    body: { clusters: ['checkout-prod'] },
  },
  rolloutsRollbackApprove: {
    method: 'POST',
    route: 'rollouts/{id}/rollback/approve',
    family: 'Rollouts',
    write: true,
    fields: ['id', 'body', 'rollbackId'],
    body: {},
  },
  silencesList: { method: 'GET', route: 'silences', family: 'Alerts', write: false, fields: [] },
  silencesCreate: {
    method: 'POST',
    route: 'silences',
    family: 'Alerts',
    write: true,
    fields: ['body', 'matchers', 'duration', 'comment'],
    body: VALID_SILENCE,
  },
  silencesExpire: { method: 'DELETE', route: 'silences/{id}', family: 'Alerts', write: true, fields: ['id'] },
  report: { method: 'GET', route: 'report', family: 'Alerts', write: false, fields: [] },
};

export type Caller = 'manage' | 'read' | 'malformed';

export interface HttpInput {
  endpoint: string;
  caller: Caller;
  /** The `x-ms-client-principal` header of a malformed caller. */
  malformedHeader: string;
  id: string;
  body: string;
}

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function idArbitrary(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.uuid(),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.uuid().map((id) => `${id}/../x`),
    fc.uuid().map((id) => `${id.slice(0, -1)}g`),
    fc.constantFrom('', ' ', '%00', '..', "' or 1 eq 1", '__proto__', 'constructor', '0'.repeat(36), '-'.repeat(36), 'a'.repeat(70_000)),
  );
}

function bodyArbitrary(valid: Json | undefined): fc.Arbitrary<string> {
  const json = (arbitrary: fc.Arbitrary<Json>) => arbitrary.map((value) => JSON.stringify(value));
  const hostile = fc
    .constantFrom(...HOSTILE_KEYS)
    .chain((key) => json(fc.constant(valid ?? {})).map((text) => text.replace(/^\{/, `{"${key}":{"polluted":true},`)));
  return fc.oneof(
    { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 1 },
    { arbitrary: json(fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }) as fc.Arbitrary<Json>), weight: 1 },
    { arbitrary: json(awkwardJson), weight: 1 },
    // Truncated JSON: not parseable.
    { arbitrary: fc.tuple(json(fc.constant(valid ?? { a: 1 })), fc.nat()).map(([text, cut]) => text.slice(0, cut % Math.max(1, text.length - 1))), weight: 1 },
    { arbitrary: hostile, weight: 1 },
    { arbitrary: json(mutated(fc.constant(valid ?? {}))), weight: valid === undefined ? 1 : 6 },
  );
}

function malformedHeaderArbitrary(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength: 40 }),
    (fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>).map((value) => base64(JSON.stringify(value))),
    fc
      .array(fc.oneof(fc.constant<Json>(null), fc.constant<Json>(7), fc.record({ typ: awkwardJson, val: awkwardJson })), { maxLength: 3 })
      .map((claims) => base64(JSON.stringify({ claims }))),
    mutated(
      fc.constant(
        JSON.parse(Buffer.from(encodePrincipal({ name: 'max@contoso.com', roles: ['Rollouts.Manage', 'Alerts.Manage'] }), 'base64').toString('utf8')) as Json,
      ),
    ).map((value) => base64(JSON.stringify(value))),
  );
}

export function httpArbitrary(): fc.Arbitrary<HttpInput> {
  const names = Object.keys(ENDPOINTS);
  return fc.constantFrom(...names.flatMap((name) => (name === 'report' ? [name] : [name, name, name]))).chain((endpoint) =>
    fc.record({
      endpoint: fc.constant(endpoint),
      caller: fc.oneof(
        { arbitrary: fc.constant<Caller>('manage'), weight: 8 },
        { arbitrary: fc.constant<Caller>('read'), weight: 1 },
        { arbitrary: fc.constant<Caller>('malformed'), weight: 1 },
      ),
      malformedHeader: malformedHeaderArbitrary(),
      id: idArbitrary(),
      body: bodyArbitrary(ENDPOINTS[endpoint]!.body),
    }),
  );
}

function principalHeader(input: HttpInput, endpoint: Endpoint): string {
  if (input.caller === 'malformed') return input.malformedHeader;
  return encodePrincipal({ name: 'max@contoso.com', roles: [`${endpoint.family}.${input.caller === 'manage' ? 'Manage' : 'Read'}`] });
}

export function httpTarget(app: FuzzApp): FuzzTarget<HttpInput> {
  return {
    name: 'http api',
    arbitrary: httpArbitrary(),
    async check(input) {
      const endpoint = ENDPOINTS[input.endpoint]!;
      const started = app.durable.listInstances().length;
      let response: Awaited<ReturnType<typeof app.host.invokeHttp>>;
      try {
        response = await app.host.invokeHttp(input.endpoint, {
          method: endpoint.method,
          path: `/api/${endpoint.route.replace('{id}', encodeURIComponent(input.id))}`,
          headers: { 'x-ms-client-principal': principalHeader(input, endpoint) },
          params: endpoint.route.includes('{id}') ? { id: input.id } : {},
          body: input.body,
        });
      } catch (error) {
        violated(`${input.endpoint} threw, so the host would answer 500: ${String(error).slice(0, 500)}`);
      }
      const { status } = response;
      const error = (response.body as { error?: unknown } | undefined)?.error;
      if (status >= 500 || status < 200) violated(`${input.endpoint} answered ${status}: ${JSON.stringify(response.body).slice(0, 300)}`);
      if (status === 400) {
        const field = typeof error === 'string' ? error.split(/[.:]/, 1)[0]! : '';
        if (typeof error !== 'string' || !endpoint.fields.includes(field) || !error.includes(': '))
          violated(`${input.endpoint} 400 does not name a field: ${JSON.stringify(error)?.slice(0, 300)}`);
      }
      if ((status === 401 || status === 403) && input.caller === 'manage') violated(`${input.endpoint} refused an authorized caller with ${status}`);
      if (status >= 400 && typeof error !== 'string') violated(`${input.endpoint} ${status} without an error message`);
      const now = app.durable.listInstances().length;
      const startedOne = input.endpoint === 'rolloutsCreate' && status === 202;
      if (now - started !== (startedOne ? 1 : 0)) violated(`${input.endpoint} answered ${status} and ${now - started} orchestrations started`);
      return [startedOne ? 'rollout started (valid body)' : `${status}`];
    },
  };
}
