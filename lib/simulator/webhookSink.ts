/**
 * A local stand-in for Slack, PagerDuty, Teams and webhook receivers: an HTTPS server on loopback
 * (same certificate as the simulator) that records every delivery and answers like the vendor, or
 * fails as told (status, Retry-After, latency) to exercise retries.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { loopbackCertificate } from './certificate.js';

export interface Delivery {
  kind: string;
  receiver: string;
  headers: Record<string, string>;
  rawBody: string;
  body: unknown;
  receivedAt: number;
}

export interface SinkFailure {
  status: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
}

export interface RunningSink {
  url: string;
  caPem: string;
  deliveries: Delivery[];
  /** The next `times` requests for `kind` (or any, with '*') answer with `failure`. */
  failNext(kind: string, times: number, failure: SinkFailure): void;
  close(): Promise<void>;
}

function vendorAnswer(kind: string, body: unknown): { status: number; text: string } {
  switch (kind) {
    case 'slack':
      return { status: 200, text: 'ok' };
    case 'pagerduty':
      return { status: 202, text: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: (body as { dedup_key?: string } | undefined)?.dedup_key }) };
    case 'teams':
      return { status: 202, text: '' };
    default:
      return { status: 200, text: '{}' };
  }
}

export async function startWebhookSink(): Promise<RunningSink> {
  const certificate = await loopbackCertificate();
  const deliveries: Delivery[] = [];
  const failures: Array<{ kind: string; remaining: number; failure: SinkFailure }> = [];

  const server: Server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      void (async () => {
        const [, kind = '', receiver = ''] = (incoming.url ?? '').split('/');
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const failure = failures.find((entry) => entry.remaining > 0 && (entry.kind === '*' || entry.kind === kind));
        if (failure !== undefined) {
          failure.remaining -= 1;
          if (failure.failure.latencyMs) await sleep(failure.failure.latencyMs);
          outgoing.writeHead(failure.failure.status, failure.failure.retryAfterSeconds === undefined ? {} : { 'retry-after': String(failure.failure.retryAfterSeconds) });
          outgoing.end(`simulated failure ${failure.failure.status}`);
          return;
        }
        let body: unknown;
        try {
          body = JSON.parse(rawBody) as unknown;
        } catch {
          outgoing.writeHead(400);
          outgoing.end('invalid_payload');
          return;
        }
        deliveries.push({
          kind,
          receiver: decodeURIComponent(receiver),
          headers: Object.fromEntries(Object.entries(incoming.headers).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : (value ?? '')])),
          rawBody,
          body,
          receivedAt: Date.now(),
        });
        const answer = vendorAnswer(kind, body);
        outgoing.writeHead(answer.status, { 'content-type': 'application/json' });
        outgoing.end(answer.text);
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: certificate.certPem,
    deliveries,
    failNext: (kind, times, failure) => failures.push({ kind, remaining: times, failure }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
