/**
 * Principal handling (issue 14): the App Service Authentication header is parsed with fixed claim
 * types on captured header shapes (test/fixtures/easyauth/, each naming its source), app tokens are
 * recorded with their object id and client app id, the HTTP API is not served without App Service
 * Authentication unless local development says so, and failures are answered in words without
 * storage error text or internal addresses.
 *
 * Sources: https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities
 * (the header's shape and App Service's claim mapping), https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 * (app-only tokens: appid, idtyp=app, roles, no name), https://learn.microsoft.com/azure/app-service/reference-app-settings
 * (WEBSITE_AUTH_ENABLED: read-only, injected to say whether App Service authentication is enabled).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { AlertStore } from '../../lib/alerts/alertStore.js';
import { handleSilencesRequest } from '../../lib/alerts/silencesApi.js';
import { resetRuntimeForLocalHost } from '../../lib/app/runtime.js';
import { authorizeRole, principalFromHeader } from '../../lib/auth/principal.js';
import { handleRetryRequest } from '../../lib/upgrades/retryApi.js';
import { handleRollbackRequest } from '../../lib/upgrades/rollbackApi.js';
import { type DurableClientLike, handleRolloutRequest } from '../../lib/upgrades/rolloutsApi.js';
import { RolloutStore } from '../../lib/upgrades/rolloutStore.js';
import { type AppHost, startAppHost } from '../harness/appHost.js';

interface Fixture {
  file: string;
  source: { kind: string; url: string };
  principal: { claims: Array<{ typ: string; val: string }>; name_typ?: string; role_typ?: string; [key: string]: unknown };
  expected: { name: string; roles: string[]; objectId?: string; appId?: string };
}

/** The role claim types (the token's `roles`, and the type App Service maps it to): fixed, as in the parser. */
const ROLE_CLAIMS = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'easyauth');
const fixtures: Fixture[] = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({ file, ...(JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as Omit<Fixture, 'file'>) }));
const fixture = (file: string): Fixture => {
  const found = fixtures.find((candidate) => candidate.file === file);
  if (found === undefined) throw new Error(`no fixture ${file}`);
  return found;
};
/** The header as App Service sends it: base64 of the JSON (not our own encodePrincipal). */
const header = (principal: Fixture['principal']) => Buffer.from(JSON.stringify(principal), 'utf8').toString('base64');

describe('the client principal header, parsed with fixed claim types on captured shapes', () => {
  it('has at least three captured shapes and an app-only token, each naming its source', () => {
    expect(fixtures.filter((entry) => entry.source.kind === 'captured').length).toBeGreaterThanOrEqual(3);
    expect(fixtures.map((entry) => entry.file)).toContain('service-principal-app-token.json');
    for (const entry of fixtures) expect(entry.source.url, entry.file).toMatch(/^https:\/\//);
  });

  it.each(fixtures.map((entry) => [entry.file, entry] as const))('%s: name, roles, object id and app id', (_file, entry) => {
    expect(principalFromHeader(header(entry.principal))).toEqual(entry.expected);
  });

  it('role_typ does not widen which claims are roles: naming any other claim type adds nothing', () => {
    for (const entry of fixtures) {
      const otherTypes = new Set(entry.principal.claims.map((claim) => claim.typ).filter((typ) => !ROLE_CLAIMS.includes(typ)));
      for (const typ of otherTypes) {
        expect(principalFromHeader(header({ ...entry.principal, role_typ: typ }))?.roles, `${entry.file} with role_typ ${typ}`).toEqual(entry.expected.roles);
      }
    }
  });

  it('a display name is never a role, whatever role_typ says (a trusting parser grants Rollouts.Manage here)', () => {
    const user = fixture('user-v2-id-token.json').principal;
    const named = { ...user, claims: user.claims.map((claim) => (claim.typ === 'name' ? { ...claim, val: 'Rollouts.Manage' } : claim)), role_typ: 'name' };
    expect(authorizeRole(header(named), 'Rollouts.Manage', 'Rollouts.Manage')).toEqual({ status: 403, body: { error: 'role Rollouts.Manage required' } });
  });

  it('name_typ does not choose the display name: a captured header naming the e-mail claim keeps the name claim', () => {
    const captured = fixture('user-name-typ-emailaddress.json').principal;
    expect(captured.name_typ).toBe('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress');
    expect(principalFromHeader(header(captured))?.name).toBe('Connor Macaskill');
  });
});

const APP = fixture('service-principal-app-token.json');
/** The captured app-only shape, holding the app roles this app defines. */
const appToken = (roles: string[]) =>
  header({
    ...APP.principal,
    claims: [...APP.principal.claims.filter((claim) => claim.typ !== 'roles'), ...roles.map((role) => ({ typ: 'roles', val: role }))],
  });
const APP_ID = APP.expected.appId ?? '';
const APP_OID = APP.expected.objectId ?? '';

describe('through the registered HTTP functions', () => {
  let app: AppHost;
  const call = (
    name: string,
    method: string,
    route: string,
    principal: string | undefined,
    options: { body?: unknown; params?: Record<string, string> } = {},
  ) =>
    app.host.invokeHttp(name, {
      method,
      path: `/api/${route}`,
      headers: principal === undefined ? {} : { 'x-ms-client-principal': principal },
      params: options.params ?? {},
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  /** Applies settings the way a restarted worker would see them. */
  const withSettings = (settings: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(settings)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    resetRuntimeForLocalHost();
  };

  beforeAll(async () => {
    app = await startAppHost();
  });
  afterAll(async () => {
    withSettings({ FLEETGUARD_LOCAL_DEVELOPMENT_AUTH: 'allow-unauthenticated-header', WEBSITE_AUTH_ENABLED: undefined });
    await app.close();
  });

  it('an app token is recorded with its object id and app id, and named app:<appid>, on rollouts and silences', async () => {
    const manager = appToken(['Rollouts.Manage', 'Alerts.Manage']);
    const started = await call('rolloutsCreate', 'POST', 'rollouts', manager, {
      body: {
        target: '1.32',
        waves: { byTag: 'ring' },
        waveSettings: { maxParallel: 2, soakMinutes: 10, requireApproval: true },
        allowMultiMinorHops: true,
        allowEmpty: true,
      },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const id = (started.body as { id: string }).id;
    const aborted = await call('rolloutsAbort', 'POST', `rollouts/${id}/abort`, manager, { params: { id } });
    expect(aborted.status, JSON.stringify(aborted.body)).toBe(202);
    await app.durable.run();

    const listed = (await call('rolloutsList', 'GET', 'rollouts', manager)).body as { rollouts: Array<Record<string, unknown>> };
    expect(listed.rollouts.find((record) => record['rolloutId'] === id)).toMatchObject({
      requestedBy: `app:${APP_ID}`,
      requestedByObjectId: APP_OID,
      requestedByAppId: APP_ID,
    });
    const status = (await call('rolloutsGet', 'GET', `rollouts/${id}`, manager, { params: { id } })).body as { actions: Array<Record<string, unknown>> };
    expect(status.actions.map(({ action, by, byObjectId, byAppId }) => ({ action, by, byObjectId, byAppId }))).toEqual(
      expect.arrayContaining([
        { action: 'start', by: `app:${APP_ID}`, byObjectId: APP_OID, byAppId: APP_ID },
        { action: 'abort', by: `app:${APP_ID}`, byObjectId: APP_OID, byAppId: APP_ID },
      ]),
    );

    const created = await call('silencesCreate', 'POST', 'silences', manager, {
      body: { matchers: { ruleId: 'AKS-SEC-001' }, duration: '2h', comment: 'maintenance by the deploy pipeline' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const silence = created.body as { id: string };
    expect(silence).toMatchObject({ createdBy: `app:${APP_ID}`, createdByObjectId: APP_OID, createdByAppId: APP_ID });
    const silences = (await call('silencesList', 'GET', 'silences', manager)).body as { silences: Array<Record<string, unknown>> };
    expect(silences.silences.find((entry) => entry['id'] === silence.id)).toMatchObject({ createdByObjectId: APP_OID, createdByAppId: APP_ID });
    const expired = await call('silencesExpire', 'DELETE', `silences/${silence.id}`, manager, { params: { id: silence.id } });
    expect(expired.body).toEqual({ id: silence.id, expiredBy: `app:${APP_ID}`, expiredByObjectId: APP_OID, expiredByAppId: APP_ID });
  });

  it('without App Service Authentication every route answers 503 naming the setting, logged once; with it (or the local setting) the API is served', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      withSettings({ FLEETGUARD_LOCAL_DEVELOPMENT_AUTH: undefined, WEBSITE_AUTH_ENABLED: undefined });
      // Even a header claiming every role gets nowhere: without authentication it could be forged.
      const forged = appToken(['Rollouts.Manage', 'Alerts.Manage']);
      const routes: Array<[string, string, string, Record<string, string>]> = [
        ['rolloutsList', 'GET', 'rollouts', {}],
        ['rolloutsCreate', 'POST', 'rollouts', {}],
        ['rolloutsRetry', 'POST', 'rollouts/00000000-0000-4000-8000-000000000000/retry', { id: '00000000-0000-4000-8000-000000000000' }],
        ['rolloutsRollback', 'POST', 'rollouts/00000000-0000-4000-8000-000000000000/rollback', { id: '00000000-0000-4000-8000-000000000000' }],
        ['silencesList', 'GET', 'silences', {}],
        ['silencesCreate', 'POST', 'silences', {}],
        ['report', 'GET', 'report', {}],
      ];
      for (const [name, method, route, params] of routes) {
        const answer = await call(name, method, route, forged, { params, ...(method === 'POST' ? { body: {} } : {}) });
        expect(answer.status, name).toBe(503);
        expect((answer.body as { error: string }).error, name).toMatch(/App Service Authentication is not configured \(WEBSITE_AUTH_ENABLED is not True\)/);
        expect((answer.body as { error: string }).error, name).toContain('FLEETGUARD_LOCAL_DEVELOPMENT_AUTH=allow-unauthenticated-header');
      }
      expect(log.mock.calls.filter(([message]) => String(message).includes('WEBSITE_AUTH_ENABLED'))).toHaveLength(1);

      withSettings({ WEBSITE_AUTH_ENABLED: 'True' });
      expect((await call('rolloutsList', 'GET', 'rollouts', undefined)).status).toBe(401);
      expect((await call('rolloutsList', 'GET', 'rollouts', appToken(['Rollouts.Read']))).status).toBe(200);
      withSettings({ WEBSITE_AUTH_ENABLED: undefined, FLEETGUARD_LOCAL_DEVELOPMENT_AUTH: 'allow-unauthenticated-header' });
      expect((await call('silencesList', 'GET', 'silences', appToken(['Alerts.Read']))).status).toBe(200);
      withSettings({ FLEETGUARD_LOCAL_DEVELOPMENT_AUTH: 'yes' });
      await expect(call('silencesList', 'GET', 'silences', appToken(['Alerts.Read']))).rejects.toThrow(
        /FLEETGUARD_LOCAL_DEVELOPMENT_AUTH: must be allow-unauthenticated-header/,
      );
    } finally {
      withSettings({ FLEETGUARD_LOCAL_DEVELOPMENT_AUTH: 'allow-unauthenticated-header', WEBSITE_AUTH_ENABLED: undefined });
      log.mockRestore();
    }
  });

  it('with storage unreachable, answers and the report say what failed in words: no address, port or storage error text', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const reachable = process.env['AzureWebJobsStorage'];
    // Azurite's well-known development account, on a port nothing listens on.
    const port = '9';
    try {
      withSettings({
        AzureWebJobsStorage: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
        FLEETGUARD_HTTP_MAX_RETRIES: '0',
      });
      const manager = appToken(['Rollouts.Manage', 'Alerts.Manage']);
      const id = '00000000-0000-4000-8000-000000000000';
      const answers = [
        await call('rolloutsList', 'GET', 'rollouts', manager),
        await call('rolloutsRetry', 'POST', `rollouts/${id}/retry`, manager, { params: { id }, body: {} }),
        await call('rolloutsRollback', 'POST', `rollouts/${id}/rollback`, manager, { params: { id }, body: {} }),
        await call('silencesList', 'GET', 'silences', manager),
      ];
      const report = await call('report', 'GET', 'report', manager);
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        const body = answer.body as { error: string; correlationId: string };
        expect(body.error).toMatch(/^the (rollout|silence) store is unavailable; retry later \(correlation id [0-9a-f-]{36}\)$/);
        // The detail is in the log under the same id.
        expect(log.mock.calls.some(([message]) => String(message).includes(body.correlationId) && /ECONNREFUSED|connect/.test(String(message)))).toBe(true);
      }
      expect(report.status).toBe(200);
      for (const text of [...answers.map((answer) => JSON.stringify(answer.body)), String(report.body)]) {
        // The port as an address names it (`:9/`, `port 9`); a bare `:9` is also CSS (`min-width:9em`).
        for (const leak of [
          '127.0.0.1',
          `:${port}/`,
          `port ${port}`,
          'RestError',
          'Azurite',
          'azurite',
          'devstoreaccount1',
          'ECONNREFUSED',
          'REQUEST_SEND_ERROR',
        ]) {
          expect(text, leak).not.toContain(leak);
        }
      }
      expect(String(report.body)).toMatch(/could not be read from storage \(correlation id [0-9a-f-]{36}\)/);
    } finally {
      withSettings({ AzureWebJobsStorage: reachable, FLEETGUARD_HTTP_MAX_RETRIES: undefined });
      log.mockRestore();
    }
  });
});

describe('a store failing while the worker runs: the API answers in words', () => {
  it('rollouts, retries, rollbacks and silences answer 503 with a correlation id, never the storage error', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      // A real table client to a port nothing listens on: the SDK's own error names the address.
      const table = () =>
        TableClient.fromConnectionString(
          'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;',
          'unreachable',
          { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } },
        );
      const store = new RolloutStore(table());
      const client: DurableClientLike = {
        startNew: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:7071 (task hub)')),
        getStatus: () => Promise.resolve({ runtimeStatus: 'Running', customStatus: {} }),
        raiseEvent: () => Promise.resolve(),
        terminate: () => Promise.resolve(),
      };
      const now = new Date('2026-11-30T09:00:00.000Z');
      const manager = appToken(['Rollouts.Manage', 'Alerts.Manage']);
      const id = '00000000-0000-4000-8000-000000000000';
      const request = { principalHeader: manager, params: { id }, body: '{}' };
      const answers = [
        await handleRolloutRequest('list', request, { client, store, now, plan: () => Promise.reject(new Error('unused')) }),
        await handleRetryRequest(request, { client, store, now, listClusters: () => Promise.reject(new Error('unused')) }),
        await handleRollbackRequest('request', request, { client, store, now, facts: () => Promise.resolve(undefined) }),
        await handleSilencesRequest('list', { method: 'GET', ...request }, new AlertStore(table()), now),
      ];
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        const text = JSON.stringify(answer.body);
        expect(text).toMatch(/unavailable.*; retry later \(correlation id [0-9a-f-]{36}\)/);
        for (const leak of ['127.0.0.1', ':9', 'ECONNREFUSED', 'RestError', 'devstoreaccount1', 'unreachable']) expect(text, leak).not.toContain(leak);
      }
      expect(log.mock.calls.some(([message]) => /ECONNREFUSED/.test(String(message)))).toBe(true);
    } finally {
      log.mockRestore();
    }
  });
});
