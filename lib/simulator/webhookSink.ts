/**
 * A local stand-in for Slack, PagerDuty, Teams and webhook receivers: an HTTPS server on loopback
 * (same certificate as the simulator) that records every delivery and answers like the vendor, or
 * fails as told (status, Retry-After, latency, a reset connection) to exercise retries. It also
 * keeps what a receiver would see over time: counts, sizes, repeated deliveries and, as PagerDuty
 * does, one alert per `dedup_key` (a trigger for an open key is merged, not a new incident).
 */
import { createHash } from 'node:crypto';
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
  /** Drop the connection after reading the request, without an answer (status is then unused). */
  reset?: boolean;
}

/** What one kind of receiver got, counted as deliveries arrive. */
export interface SinkTally {
  deliveries: number;
  bytes: number;
  /** The largest request body received, in bytes. */
  largestBytes: number;
  /** Deliveries identical to an earlier one (same X-FleetGuard-Delivery, else the same body). */
  repeats: number;
}

/** PagerDuty's view of one dedup key: how many events it got and how many incidents it opened. */
export interface PagerDutyKeyState {
  open: boolean;
  triggers: number;
  resolves: number;
  /** Triggers that found the key not open: each opens an incident. More than one is a page twice. */
  incidents: number;
}

export interface WebhookSinkOptions {
  /**
   * Keep every delivery in `deliveries` (default). Benchmarks turn this off and read the tallies,
   * so the sink's memory does not grow with the run.
   */
  retainDeliveries?: boolean;
}

export interface RunningSink {
  url: string;
  caPem: string;
  deliveries: Delivery[];
  /** By kind (`slack`, `pagerduty`, `teams`, `webhook`). */
  tallies: Map<string, SinkTally>;
  /** By `dedup_key`, in the order keys first arrived. */
  pagerDuty: Map<string, PagerDutyKeyState>;
  /** The next `times` requests for `kind` (or any, with '*') answer with `failure`. */
  failNext(kind: string, times: number, failure: SinkFailure): void;
  /**
   * From now on, each request (after any `failNext`) fails with probability `share`, with the
   * failure `pick` returns: an unreliable receiver rather than an outage. `share` 0 stops it.
   */
  failShare(share: number, pick: () => SinkFailure, random: () => number): void;
  close(): Promise<void>;
}

function deliveryIdentity(kind: string, receiver: string, headers: Record<string, string | string[] | undefined>, rawBody: string): string {
  const id = headers['x-fleetguard-delivery'];
  return `${kind}/${receiver}/${typeof id === 'string' ? id : createHash('sha256').update(rawBody).digest('hex')}`;
}

function recordPagerDuty(states: Map<string, PagerDutyKeyState>, body: unknown): void {
  const event = body as { event_action?: unknown; dedup_key?: unknown } | undefined;
  if (typeof event?.dedup_key !== 'string') return;
  const state = states.get(event.dedup_key) ?? { open: false, triggers: 0, resolves: 0, incidents: 0 };
  if (event.event_action === 'trigger') {
    state.triggers += 1;
    if (!state.open) state.incidents += 1;
    state.open = true;
  } else if (event.event_action === 'resolve') {
    state.resolves += 1;
    state.open = false;
  }
  states.set(event.dedup_key, state);
}

/**
 * Teams refuses a message over 28 KB, counted in bytes: "max allowed size is 28672 bytes"
 * (MicrosoftDocs/msteams-docs#11274) and "Request Entity Too Large" (learn.microsoft.com/connectors/teams,
 * "Known issues and limitations"). The limit applies to properties Teams derives from the card, which
 * are larger than the request, so a body over it is refused for certain. Connector webhooks answer
 * 413 (msteams-docs#1810); a Workflows trigger accepts with 202 and the post fails in the flow run, a
 * silent loss, which the sink makes loud with the 413.
 */
export const TEAMS_MAX_MESSAGE_BYTES = 28_672;

/**
 * Block Kit limits Slack enforces (docs.slack.dev/reference/block-kit/blocks: at most 50 blocks; a
 * section's text at most 3,000 characters and its fields at most 10 of 2,000; a header's text at
 * most 150). A message past them is refused with 400 and `invalid_blocks` ("Slack responds with 400
 * Bad Request if the limit is crossed", gitlab-org/release-tools!1786).
 */
function slackBlocksWithinLimits(body: unknown): boolean {
  const blocks = (body as { blocks?: unknown } | undefined)?.blocks;
  if (blocks === undefined) return true;
  if (!Array.isArray(blocks) || blocks.length > 50) return false;
  return (blocks as Array<{ type?: unknown; text?: { text?: unknown }; fields?: unknown }>).every((block) => {
    const text = typeof block.text?.text === 'string' ? block.text.text : '';
    const fields = Array.isArray(block.fields) ? (block.fields as Array<{ text?: unknown }>) : [];
    return !(block.type === 'header' && text.length > 150) && !(block.type === 'section' && text.length > 3000) && fields.length <= 10 && fields.every((field) => typeof field.text !== 'string' || field.text.length <= 2000);
  });
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

export async function startWebhookSink(options: WebhookSinkOptions = {}): Promise<RunningSink> {
  const certificate = await loopbackCertificate();
  const deliveries: Delivery[] = [];
  const tallies = new Map<string, SinkTally>();
  const pagerDuty = new Map<string, PagerDutyKeyState>();
  const seen = new Set<string>();
  const failures: Array<{ kind: string; remaining: number; failure: SinkFailure }> = [];
  let unreliable: { share: number; pick: () => SinkFailure; random: () => number } | undefined;
  const nextFailure = (kind: string): SinkFailure | undefined => {
    const scheduled = failures.find((entry) => entry.remaining > 0 && (entry.kind === '*' || entry.kind === kind));
    if (scheduled !== undefined) {
      scheduled.remaining -= 1;
      return scheduled.failure;
    }
    return unreliable !== undefined && unreliable.random() < unreliable.share ? unreliable.pick() : undefined;
  };

  const server: Server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      void (async () => {
        const [, kind = '', receiver = ''] = (incoming.url ?? '').split('/');
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const failure = nextFailure(kind);
        if (failure !== undefined) {
          if (failure.latencyMs) await sleep(failure.latencyMs);
          if (failure.reset === true) {
            incoming.socket.destroy();
            return;
          }
          outgoing.writeHead(failure.status, failure.retryAfterSeconds === undefined ? {} : { 'retry-after': String(failure.retryAfterSeconds) });
          outgoing.end(`simulated failure ${failure.status}`);
          return;
        }
        const size = Buffer.byteLength(rawBody);
        if (kind === 'teams' && size > TEAMS_MAX_MESSAGE_BYTES) {
          outgoing.writeHead(413, { 'content-type': 'text/plain' });
          outgoing.end(`Request Entity Too Large: message size ${size} bytes, whereas max allowed size is ${TEAMS_MAX_MESSAGE_BYTES} bytes`);
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
        if (kind === 'slack' && !slackBlocksWithinLimits(body)) {
          outgoing.writeHead(400, { 'content-type': 'text/plain' });
          // Slack answers the bare code; what broke the limit is not said.
          outgoing.end('invalid_blocks');
          return;
        }
        const tally = tallies.get(kind) ?? { deliveries: 0, bytes: 0, largestBytes: 0, repeats: 0 };
        const identity = deliveryIdentity(kind, receiver, incoming.headers, rawBody);
        tally.deliveries += 1;
        tally.bytes += size;
        tally.largestBytes = Math.max(tally.largestBytes, size);
        if (seen.has(identity)) tally.repeats += 1;
        seen.add(identity);
        tallies.set(kind, tally);
        if (kind === 'pagerduty') recordPagerDuty(pagerDuty, body);
        if (options.retainDeliveries !== false) {
          deliveries.push({
            kind,
            receiver: decodeURIComponent(receiver),
            headers: Object.fromEntries(Object.entries(incoming.headers).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : (value ?? '')])),
            rawBody,
            body,
            receivedAt: Date.now(),
          });
        }
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
    tallies,
    pagerDuty,
    failNext: (kind, times, failure) => failures.push({ kind, remaining: times, failure }),
    failShare: (share, pick, random) => {
      unreliable = share > 0 ? { share, pick, random } : undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
