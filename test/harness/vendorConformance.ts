/**
 * The checks every registered alert vendor passes, as Alertmanager's `notify/test` runs the same
 * checks over each notifier: the retry table, no secret in what is stored or returned, the size
 * budget and the vendor's documented limits, giving up after `maxAttempts` (recorded as failed),
 * and, with no endpoint override, the vendor's real host is the one dialled. Each vendor is driven
 * from its own documented example receiver (`example` in its module), so a new vendor is checked
 * without a line here.
 */
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';

import { beforeAll, describe, expect, it } from 'vitest';

import type { Alert } from '../../lib/alerts/alert.js';
import { type AlertingConfig, parseAlertingDocument } from '../../lib/alerts/alertingConfig.js';
import { AlertPipeline } from '../../lib/alerts/alertPipeline.js';
import { AlertStore } from '../../lib/alerts/alertStore.js';
import { jsonBytes } from '../../lib/alerts/notifiers/budget.js';
import { MESSAGE_BUDGET } from '../../lib/alerts/notifiers/common.js';
import { DEFAULT_DRAIN_OPTIONS, type DrainOptions, drainOutbox } from '../../lib/alerts/outboxDrain.js';
import { type HttpAnswer, type HttpPost, httpsPost } from '../../lib/alerts/transport.js';
import type { AnyVendor } from '../../lib/alerts/vendors/index.js';
import type { LifecycleChange } from '../../lib/findings/lifecycle.js';
import { firing, resolved } from './alerts.js';
import { azuriteTable, uniqueTableName } from './tables.js';

/** Alertmanager's table (`notify/util.go`), the house rule for every vendor: 429 and 5xx retry, other 4xx never. */
export const RETRY_TABLE: ReadonlyArray<[number, 'retry' | 'give-up']> = [400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504].map((status) => [
  status,
  status === 429 || status >= 500 ? 'retry' : 'give-up',
]);

const START = Date.parse('2026-11-20T12:00:00.000Z');
/** The sink the drain would use locally; `fakePost` reads the receiver from its path. */
const OVERRIDE = 'https://sink.invalid';

/** A routing document with a receiver of the vendor's example per name, each on its own route. */
function exampleConfig(vendor: AnyVendor, names: readonly string[] = ['example']): AlertingConfig {
  const { entry, settings, webhookAllowedHosts } = vendor.example;
  const document = {
    receivers: names.map((name) => ({ ...entry, name })),
    routes: names.map((name) => ({ name: `to-${name}`, receiver: name, continue: true })),
    webhookAllowedHosts: webhookAllowedHosts ?? [],
  };
  return parseAlertingDocument(JSON.stringify(document), 'conformance', settings);
}

/** Queues the alerts for the config's receivers (each test names its own, so tests share one table). */
async function enqueue(store: AlertStore, config: AlertingConfig, alerts: readonly Alert[]): Promise<AlertStore> {
  const changes: LifecycleChange[] = alerts.map((alert) =>
    alert.status === 'firing'
      ? { kind: 'opened', previous: undefined, next: alert.finding }
      : { kind: 'resolved', previous: alert.finding, next: alert.finding },
  );
  await new AlertPipeline(config, store).enqueue(changes, new Date(START));
  return store;
}

function options(now: () => Date, overrides: Partial<DrainOptions> = {}): DrainOptions {
  return { ...DEFAULT_DRAIN_OPTIONS, now, random: () => 0.5, backoff: { baseMs: 1_000, maxMs: 1_000 }, endpointOverride: OVERRIDE, ...overrides };
}

const answer = (status: number, body = '', error?: string): HttpAnswer => ({ status, retryAfterSeconds: undefined, body, error });

/** Every secret value the example names. */
function secretValues(vendor: AnyVendor): string[] {
  return Object.values(vendor.example.settings);
}

function leaks(vendor: AnyVendor, text: string): string[] {
  return secretValues(vendor).filter((secret) => text.includes(secret));
}

/** Large, hostile fleet text: CJK, emoji sequences, markup of every vendor. */
function hostileGroup(count: number): Alert[] {
  const text = '漢字 <!channel> & <b>bold</b> *x* [link](https://evil.example) 👩🏽‍💻🇪🇺 é '.repeat(400);
  return Array.from({ length: count }, (_unused, index) =>
    (index % 5 === 4 ? resolved : firing)({
      ruleId: `AKS-CONFORMANCE-${index}`,
      cluster: `cluster-${index % 3}-${'名'.repeat(80)}`,
      severity: index % 2 === 0 ? 'critical' : 'low',
      title: text.slice(0, 3000),
      detail: text,
    }),
  );
}

export function describeVendorConformance(vendor: AnyVendor): void {
  describe(`alert vendor ${vendor.name}: conformance`, () => {
    let store: AlertStore;
    beforeAll(async () => {
      store = new AlertStore(azuriteTable(uniqueTableName('vendor')));
      await store.ensureTable();
    });

    it('declares a delivery guarantee and real endpoints, and its example is a valid receiver', () => {
      expect(['at-most-once', 'at-least-once']).toContain(vendor.deliveryGuarantee);
      const config = exampleConfig(vendor);
      expect(config.receivers.get('example')?.type).toBe(vendor.name);
      for (const url of Object.values(vendor.endpoints)) expect(new URL(url).protocol).toBe('https:');
    });

    it('retry table: 429, 5xx and no answer are retried, other 4xx are permanent; the drain records each so', async () => {
      for (const [status, verdict] of RETRY_TABLE) expect([status, vendor.retry(status)]).toEqual([status, verdict]);
      const statuses = [...RETRY_TABLE.map(([status]) => status), 0];
      const config = exampleConfig(
        vendor,
        statuses.map((status) => `status-${status}`),
      );
      await enqueue(store, config, [firing()]);
      const byReceiver: HttpPost = (url) => {
        const status = Number(/\/status-(\d+)/.exec(url)?.[1]);
        return Promise.resolve(status === 0 ? answer(0, '', 'socket hang up') : answer(status, 'vendor said no'));
      };
      const result = await drainOutbox(
        store,
        config,
        byReceiver,
        options(() => new Date(START), { concurrency: statuses.length }),
      );
      const recorded = await Promise.all(
        statuses.map(async (status) => [status, (await store.allEntries(`status-${status}`)).map((entry) => [entry.status, entry.lastStatus, entry.attempts])]),
      );
      const retried = (status: number) => status === 0 || status === 429 || status >= 500;
      expect(recorded).toEqual(statuses.map((status) => [status, [[retried(status) ? 'retrying' : 'failed', status, 1]]]));
      expect(result).toMatchObject({ retried: statuses.filter(retried).length, failed: statuses.filter((status) => !retried(status)).length });
    });

    it('a message that keeps failing gives up after maxAttempts and is recorded as failed', async () => {
      const config = exampleConfig(vendor, ['give-up']);
      await enqueue(store, config, [firing()]);
      let time = START;
      let posts = 0;
      const failing: HttpPost = () => {
        posts += 1;
        return Promise.resolve(answer(503, 'unavailable'));
      };
      let failed = 0;
      for (let round = 0; round < 8; round += 1) {
        failed += (
          await drainOutbox(
            store,
            config,
            failing,
            options(() => new Date(time), { maxAttempts: 3 }),
          )
        ).failed;
        time += 60_000;
      }
      expect(posts).toBe(3);
      expect(failed).toBe(1);
      const [entry] = await store.allEntries('give-up');
      expect(entry).toMatchObject({ status: 'failed', attempts: 3, lastStatus: 503 });
      expect(entry?.lastError).toMatch(/^gave up after 3 attempts: unavailable/);
      expect(await store.activeCount('give-up')).toBe(0);
    });

    it('no secret in stored rows, drain results or config errors, even when the vendor echoes the request', async () => {
      const config = exampleConfig(vendor, ['echo-permanent', 'echo-retry', 'echo-error']);
      expect(leaks(vendor, JSON.stringify([...config.receivers.values()]))).toEqual([]);
      await enqueue(store, config, [firing()]);
      // The vendor answers with everything it got (URL, headers, body), as an error page might.
      const echo: HttpPost = (url, body, postOptions) => {
        const everything = JSON.stringify({ url, body, headers: postOptions.headers });
        if (url.includes('echo-error')) return Promise.resolve(answer(0, '', `connect ECONNREFUSED while posting to ${everything}`));
        return Promise.resolve(answer(url.includes('echo-retry') ? 503 : 400, everything));
      };
      // Without the override the request goes to the real (secret) URL, which the echo returns.
      const result = await drainOutbox(
        store,
        config,
        echo,
        options(() => new Date(START), { endpointOverride: undefined }),
      );
      const rows = await Promise.all([...config.receivers.keys()].map((name) => store.allEntries(name)));
      expect(rows.flat().length).toBeGreaterThan(0);
      expect(rows.flat().every((row) => row.lastError !== '')).toBe(true);
      expect(leaks(vendor, JSON.stringify({ rows, result }))).toEqual([]);
      const rule = vendor.destination;
      if (rule.kind === 'configuredUrl') {
        const setting = rule.setting(vendor.example.entry as { name: string; type: string });
        const insecure = (vendor.example.settings[setting] ?? '').replace('https://', 'http://');
        let message = '';
        try {
          parseAlertingDocument(
            JSON.stringify({
              receivers: [vendor.example.entry],
              routes: [{ name: 'r', receiver: 'example' }],
              webhookAllowedHosts: vendor.example.webhookAllowedHosts ?? [],
            }),
            'conformance',
            { ...vendor.example.settings, [setting]: insecure },
          );
        } catch (error) {
          message = (error as Error).message;
        }
        expect(message).toContain(`the URL in app setting ${setting} must use https`);
        expect(message).not.toContain(insecure);
      }
    });

    it('every message of a large hostile group fits the budget and the vendor’s documented limits; every alert is in one', () => {
      const alerts = hostileGroup(120);
      const messages = vendor.render({ route: 'conformance', receiver: 'example', groupKey: 'k', alerts });
      const receiver = exampleConfig(vendor).receivers.get('example');
      if (receiver === undefined) throw new Error('no example receiver');
      expect(messages.reduce((sum, message) => sum + message.alertCount, 0)).toBe(alerts.length);
      for (const message of messages) {
        expect(message.kind).toBe(vendor.name);
        expect(jsonBytes(message.body)).toBeLessThanOrEqual(Math.min(vendor.budgetBytes, MESSAGE_BUDGET));
        const request = vendor.request({ body: JSON.stringify(message.body), deliveryId: 'd' }, receiver, new Date(START));
        const url = new URL(request.url);
        const refusal = vendor.service.refusal({
          path: `${url.pathname}${url.search}`,
          headers: request.headers,
          rawBody: request.body,
          body: JSON.parse(request.body) as unknown,
        });
        expect(refusal, message.summary).toBeUndefined();
      }
    });

    it('with no endpoint override, the vendor’s real host is the one dialled', async () => {
      const config = exampleConfig(vendor, ['real-host']);
      await enqueue(store, config, [firing()]);
      const asked = await withRefusingDns(() =>
        drainOutbox(
          store,
          config,
          httpsPost,
          options(() => new Date(START), { endpointOverride: undefined }),
        ),
      );
      expect(asked.length).toBeGreaterThan(0);
      expect(new Set(asked)).toEqual(new Set([vendor.example.realHost]));
      // Nothing answered: the message waits for a retry, with the resolver's error (the host only).
      const [entry] = await store.allEntries('real-host');
      expect(entry).toMatchObject({ status: 'retrying', lastStatus: 0 });
      expect(entry?.lastError).toBe(`getaddrinfo ENOTFOUND ${vendor.example.realHost}`);
    });
  });
}

/**
 * Runs `work` with the process's DNS resolver replaced by one that records each host asked for
 * and answers ENOTFOUND: the real transport (`httpsPost` and its public-address lookup) runs, and
 * no connection leaves the machine. `syncBuiltinESMExports` makes ES-module imports of `node:dns`
 * see the replacement.
 */
export async function withRefusingDns(work: () => Promise<unknown>): Promise<string[]> {
  const original = dns.lookup;
  const asked: string[] = [];
  const refusing = (hostname: string, _options: unknown, callback: (error: NodeJS.ErrnoException) => void) => {
    asked.push(hostname);
    process.nextTick(() => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname })));
  };
  (dns as { lookup: unknown }).lookup = refusing;
  syncBuiltinESMExports();
  try {
    await work();
  } finally {
    (dns as { lookup: unknown }).lookup = original;
    syncBuiltinESMExports();
  }
  return asked;
}
