/**
 * Outbound sends have a total deadline and a cap on what is read back (lib/alerts/transport.ts).
 * A real HTTPS receiver on loopback misbehaves in the four ways a stalled or hostile endpoint can:
 * it drips its body one byte every 200 ms forever, sends headers and stalls, accepts the
 * connection and never answers, or answers with an endless body. Each send must end within its
 * deadline (plus a little slack) as a retryable failure, the receiver must see its socket closed,
 * and an outbox drain must still deliver to the healthy receiver: a stalled receiver costs one
 * deadline, not the drain.
 *
 * Before the fix `timeoutMs` was an idle timeout: the dripping receiver held a send as long as it
 * dripped and the endless body was never cut off (both still pending after 10 s when measured).
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseAlertingDocument } from '../../lib/alerts/alertingConfig.js';
import { AlertPipeline } from '../../lib/alerts/alertPipeline.js';
import { AlertStore } from '../../lib/alerts/alertStore.js';
import { DEFAULT_DRAIN_OPTIONS, drainOutbox } from '../../lib/alerts/outboxDrain.js';
import { httpsPost } from '../../lib/alerts/transport.js';
import { loopbackCertificate } from '../../tooling/simulator/certificate.js';
import { storedFinding } from '../harness/alerts.js';
import { azuriteTable, uniqueTableName } from '../harness/tables.js';

const DEADLINE_MS = 500;
/** Scheduling slack on a loaded two-core runner; far below what a stalled receiver held before. */
const SLACK_MS = 500;

type Mode = 'drip' | 'stall' | 'silent' | 'endless' | 'hangup' | 'healthy';
const STALLED: Mode[] = ['drip', 'stall', 'silent', 'endless'];

interface Receiver {
  url: string;
  ca: string;
  /** Requests received by mode, and how many of their sockets the receiver saw closed. */
  received: Map<Mode, number>;
  closed: Map<Mode, number>;
  server: Server;
}

async function startMisbehavingReceiver(): Promise<Receiver> {
  const { keyPem, certPem } = await loopbackCertificate();
  const received = new Map<Mode, number>();
  const closed = new Map<Mode, number>();
  const server = createServer({ key: keyPem, cert: certPem }, (request, response) => {
    const mode = (request.url ?? '').split('/').at(-1) as Mode;
    received.set(mode, (received.get(mode) ?? 0) + 1);
    const timers: NodeJS.Timeout[] = [];
    request.socket.once('close', () => {
      for (const timer of timers) clearInterval(timer);
      closed.set(mode, (closed.get(mode) ?? 0) + 1);
    });
    request.resume();
    request.on('end', () => {
      if (mode === 'healthy') {
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } else if (mode === 'drip') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        timers.push(setInterval(() => response.write('o'), 200));
      } else if (mode === 'stall') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.flushHeaders();
      } else if (mode === 'endless') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(16_384, 'x');
        const pump = () => {
          while (!response.destroyed && response.write(chunk));
        };
        response.on('drain', pump);
        pump();
      } else if (mode === 'hangup') {
        response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
        response.write('only ten b');
        setTimeout(() => request.socket.destroy(), 20);
      }
      // silent: read the request, never answer.
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca: certPem, received, closed, server };
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!check() && Date.now() - started < timeoutMs) await new Promise((resolve) => setTimeout(resolve, 20));
}

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startMisbehavingReceiver();
});
afterAll(async () => {
  receiver.server.closeAllConnections();
  await new Promise((resolve) => receiver.server.close(resolve));
});

const send = (mode: Mode) =>
  httpsPost(`${receiver.url}/webhook/${mode}`, '{"text":"hello"}', { headers: {}, timeoutMs: DEADLINE_MS, ca: receiver.ca, allowPrivateAddresses: true });

describe('one send has a total deadline and a cap on the answer', () => {
  it.each(STALLED)('a %s receiver costs at most one deadline, gets its socket destroyed, and the send is unanswered (retryable)', async (mode) => {
    const closedBefore = receiver.closed.get(mode) ?? 0;
    const started = performance.now();
    const answer = await send(mode);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(DEADLINE_MS + SLACK_MS);
    expect(answer.status).toBe(0);
    expect(answer.refusedDestination).toBeUndefined();
    expect(answer.error).toMatch(mode === 'endless' ? new RegExp(`larger than 65536 bytes and was cut off`) : /no complete answer within 500 ms/);
    // The receiver sees its connection closed: nothing keeps the socket (or the drain) around.
    await until(() => (receiver.closed.get(mode) ?? 0) > closedBefore, 1_000);
    expect(receiver.closed.get(mode) ?? 0).toBeGreaterThan(closedBefore);
  });

  it('a connection closed in the middle of the body is no answer (retryable), at once', async () => {
    const started = performance.now();
    const answer = await send('hangup');
    expect(performance.now() - started).toBeLessThan(DEADLINE_MS);
    expect(answer).toMatchObject({ status: 0, body: '' });
  });

  it('still reads a healthy answer in full', async () => {
    await expect(send('healthy')).resolves.toMatchObject({ status: 200, body: 'ok', error: undefined });
  });
});

describe('an outbox drain with stalled receivers', () => {
  it('delivers to the healthy receiver and ends after about one deadline, leaving the stalled messages to retry', async () => {
    const modes: Mode[] = [...STALLED, 'healthy'];
    const secrets = Object.fromEntries(
      modes.flatMap((mode) => [
        [`URL_${mode}`, `https://hooks.example.com/${mode}`],
        [`KEY_${mode}`, `hmacKeyFor-${mode}-0123456789`],
      ]),
    );
    const document = [
      'receivers:',
      ...modes.map((mode) => `  - { name: ${mode}, type: webhook, urlSetting: URL_${mode}, hmacKeySetting: KEY_${mode} }`),
      'webhookAllowedHosts: [hooks.example.com]',
      'routes:',
      ...modes.map((mode) => `  - { name: to-${mode}, receiver: ${mode}, continue: true }`),
    ].join('\n');
    const config = parseAlertingDocument(document, 'test', secrets);
    const store = new AlertStore(azuriteTable(uniqueTableName('outbound')));
    await store.ensureTable();
    const now = new Date('2026-11-30T09:00:00.000Z');
    await new AlertPipeline(config, store).enqueue([{ kind: 'opened', previous: undefined, next: storedFinding() }], now);
    const before = new Map(modes.map((mode) => [mode, receiver.received.get(mode) ?? 0]));

    const started = performance.now();
    const result = await drainOutbox(store, config, httpsPost, {
      ...DEFAULT_DRAIN_OPTIONS,
      now: () => now,
      timeoutMs: DEADLINE_MS,
      endpointOverride: receiver.url,
      caPem: receiver.ca,
    });
    const elapsed = performance.now() - started;

    // Four stalled receivers fill the four drain slots for one deadline; the healthy one goes next
    // (the rest is table writes on a shared Azurite). Before the fix this drain never ended.
    expect(elapsed).toBeLessThan(2 * DEADLINE_MS + 3 * SLACK_MS);
    expect(result).toMatchObject({ sent: 1, retried: 4, failed: 0 });
    for (const mode of modes) expect((receiver.received.get(mode) ?? 0) - (before.get(mode) ?? 0), mode).toBe(1);
    const [healthy] = await store.allEntries('healthy');
    expect(healthy).toMatchObject({ status: 'sent', lastStatus: 200 });
    for (const mode of STALLED) {
      const [entry] = await store.allEntries(mode);
      expect(entry, mode).toMatchObject({ status: 'retrying', attempts: 1, lastStatus: 0 });
    }
  });
});
