import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type AlertingConfig, parseAlertingDocument } from '../../lib/alerts/alertingConfig.js';
import { AlertPipeline } from '../../lib/alerts/alertPipeline.js';
import { AlertStore } from '../../lib/alerts/alertStore.js';
import { DEFAULT_DRAIN_OPTIONS, drainOutbox } from '../../lib/alerts/outboxDrain.js';
import { httpsPost } from '../../lib/alerts/transport.js';
import { Secret } from '../../lib/secret.js';
import { type RunningSink, startWebhookSink } from '../../tooling/simulator/webhookSink.js';
import { storedFinding } from '../harness/alerts.js';
import { azuriteTable, uniqueTableName } from '../harness/tables.js';

let sink: RunningSink;
beforeAll(async () => {
  sink = await startWebhookSink();
});
afterAll(() => sink.close());

const post = (url: string, allowPrivateAddresses?: boolean) =>
  httpsPost(url, '{}', { headers: {}, timeoutMs: 2_000, ca: sink.caPem, ...(allowPrivateAddresses === undefined ? {} : { allowPrivateAddresses }) });

describe('webhook sends refuse non-public addresses (SSRF)', () => {
  it('refuses a loopback listener that the same request reaches when the guard is off', async () => {
    const before = sink.deliveries.length;
    const refused = await post(`${sink.url}/webhook/guarded`);
    expect(refused).toMatchObject({ status: 0, refusedDestination: true });
    expect(refused.error).toMatch(/loopback/);
    expect(sink.deliveries.length).toBe(before);
    const allowed = await post(`${sink.url}/webhook/simulator`, true);
    expect(allowed.status).toBe(200);
    expect(sink.deliveries.length).toBe(before + 1);
  });

  it('refuses a host name that resolves to loopback, judging the resolved address', async () => {
    const port = new URL(sink.url).port;
    const before = sink.deliveries.length;
    const refused = await post(`https://localhost:${port}/webhook/by-name`);
    expect(refused.refusedDestination).toBe(true);
    expect(refused.error).toMatch(/refused to connect: (127\.0\.0\.1|::1) is a loopback address/);
    expect(sink.deliveries.length).toBe(before);
  });

  it('refuses IMDS without opening a connection', async () => {
    const started = Date.now();
    const refused = await post('https://169.254.169.254/metadata/identity/oauth2/token?resource=https://management.azure.com/');
    expect(refused).toMatchObject({ status: 0, refusedDestination: true });
    expect(refused.error).toMatch(/instance metadata service/);
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('fails the outbox entry permanently after one attempt, without the URL in the stored error', async () => {
    const secretUrl = 'https://169.254.169.254/metadata/identity/oauth2/token?token=imdsHookSecret4242';
    // Built directly: the routing document parser already rejects this URL (see the unit test);
    // this is the last line of defence for names that resolve to such an address at send time.
    const parsed = parseAlertingDocument(
      'receivers: [{ name: hook, type: webhook, urlSetting: HOOK_URL, hmacKeySetting: HOOK_KEY }]\nroutes: [{ name: all, receiver: hook }]\nwebhookAllowedHosts: [hooks.example.com]\n',
      'test',
      { HOOK_URL: 'https://hooks.example.com/x', HOOK_KEY: 'hmacKeyForImdsTest0001' },
    );
    const config: AlertingConfig = {
      ...parsed,
      receivers: new Map([['hook', { name: 'hook', type: 'webhook', url: new Secret(secretUrl), hmacKey: new Secret('hmacKeyForImdsTest0001') }]]),
    };
    const store = new AlertStore(azuriteTable(uniqueTableName('ssrf')));
    await store.ensureTable();
    const now = new Date('2026-11-20T12:00:00.000Z');
    await new AlertPipeline(config, store).enqueue([{ kind: 'opened', previous: undefined, next: storedFinding() }], now);
    const result = await drainOutbox(store, config, httpsPost, { ...DEFAULT_DRAIN_OPTIONS, now: () => now });
    expect(result).toMatchObject({ sent: 0, failed: 1, retried: 0 });
    const [entry] = await store.allEntries('hook');
    expect(entry).toMatchObject({ status: 'failed', attempts: 1 });
    expect(entry?.lastError).toMatch(/^permanent: refused to connect: .*instance metadata service/);
    expect(JSON.stringify(entry)).not.toContain('imdsHookSecret4242');
  });
});
