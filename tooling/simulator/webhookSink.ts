/**
 * A local stand-in for every registered alert vendor (lib/alerts/vendors/index.ts): an HTTPS server
 * on loopback (same certificate as the simulator) at `/{vendor}/{receiver}[/vendor path]` that
 * records every delivery and answers as the vendor module's `service` says the vendor does (its
 * documented limits, refusals and success answer), or fails as told (status, Retry-After, latency,
 * a reset connection) to exercise retries. It also keeps what a receiver would see over time:
 * counts, sizes, repeated deliveries and, for vendors that keep incidents, one incident per key
 * (PagerDuty's `dedup_key`, Opsgenie's `alias`: a trigger for an open key is merged, not a new one).
 * A vendor is picked up from the registry: adding one needs no change here.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { findVendor } from '../../lib/alerts/vendors/index.js';
import type { ServiceAnswer, ServiceRequest } from '../../lib/alerts/vendors/vendor.js';
import { loopbackCertificate } from './certificate.js';
import { createSlackWorkspace, type SlackWorkspace } from './slackWebApi.js';

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

/** A vendor's view of one incident key: how many events it got and how many incidents it opened. */
export interface IncidentKeyState {
  open: boolean;
  /** Requests that open the key (PagerDuty triggers, Opsgenie creates). */
  triggers: number;
  /** Requests that close it (PagerDuty resolves, Opsgenie closes). */
  resolves: number;
  /** Triggers that found the key not open: each opens an incident. More than one is a page twice. */
  incidents: number;
}

/** PagerDuty's view of one dedup key. */
export type PagerDutyKeyState = IncidentKeyState;

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
  /** By kind: the vendor's registered name (`slack`, `pagerduty`, `opsgenie`, ...). */
  tallies: Map<string, SinkTally>;
  /** PagerDuty's keys (`incidents.get('pagerduty')`), by `dedup_key`, in the order keys first arrived. */
  pagerDuty: Map<string, PagerDutyKeyState>;
  /** By vendor, then by incident key, for vendors that keep incidents. */
  incidents: Map<string, Map<string, IncidentKeyState>>;
  /** The next `times` requests for `kind` (or any, with '*') answer with `failure`. */
  failNext(kind: string, times: number, failure: SinkFailure): void;
  /**
   * From now on, each request (after any `failNext`) fails with probability `share`, with the
   * failure `pick` returns: an unreliable receiver rather than an outage. `share` 0 stops it.
   */
  failShare(share: number, pick: () => SinkFailure, random: () => number): void;
  /** The Slack workspace behind `/slackApp/...` (the Slack app receiver) and `/slackActions/...` (response_url posts). */
  slack: SlackWorkspace;
  close(): Promise<void>;
}

function deliveryIdentity(kind: string, receiver: string, headers: Record<string, string | string[] | undefined>, rawBody: string): string {
  const id = headers['x-fleetguard-delivery'];
  return `${kind}/${receiver}/${typeof id === 'string' ? id : createHash('sha256').update(rawBody).digest('hex')}`;
}

function recordIncident(states: Map<string, IncidentKeyState>, incident: { key: string; action: 'open' | 'close' }): void {
  const state = states.get(incident.key) ?? { open: false, triggers: 0, resolves: 0, incidents: 0 };
  if (incident.action === 'open') {
    state.triggers += 1;
    if (!state.open) state.incidents += 1;
    state.open = true;
  } else {
    state.resolves += 1;
    state.open = false;
  }
  states.set(incident.key, state);
}

/** An unregistered kind answers as a generic receiver would. */
const UNKNOWN_KIND_ANSWER: ServiceAnswer = { status: 200, contentType: 'application/json', text: '{}' };

export async function startWebhookSink(options: WebhookSinkOptions = {}): Promise<RunningSink> {
  const certificate = await loopbackCertificate();
  const deliveries: Delivery[] = [];
  const tallies = new Map<string, SinkTally>();
  const incidents = new Map<string, Map<string, IncidentKeyState>>();
  const pagerDuty = new Map<string, PagerDutyKeyState>();
  incidents.set('pagerduty', pagerDuty);
  const seen = new Set<string>();
  const slack = createSlackWorkspace();
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
        const [, kind = '', receiver = '', ...rest] = (incoming.url ?? '').split('/');
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
        let body: unknown;
        try {
          body = JSON.parse(rawBody) as unknown;
        } catch {
          body = undefined;
        }
        const vendor = findVendor(kind);
        const request: ServiceRequest = { path: rest.length === 0 ? '' : `/${rest.join('/')}`, headers: incoming.headers, rawBody, body };
        const slackAnswer =
          kind === 'slackApp' ? slack.handle(request.path, request) : kind === 'slackActions' ? slack.respond(request.path, request) : undefined;
        if (slackAnswer !== undefined) {
          const headers = {
            'content-type': slackAnswer.contentType,
            ...(slackAnswer.retryAfterSeconds === undefined ? {} : { 'retry-after': String(slackAnswer.retryAfterSeconds) }),
          };
          outgoing.writeHead(slackAnswer.status, headers);
          outgoing.end(slackAnswer.text);
          if (slackAnswer.status !== 200 || !slackAnswer.text.startsWith('{"ok":true')) return;
        }
        const refusal = slackAnswer === undefined ? vendor?.service.refusal(request) : undefined;
        if (refusal !== undefined) {
          outgoing.writeHead(refusal.status, { 'content-type': refusal.contentType });
          outgoing.end(refusal.text);
          return;
        }
        if (body === undefined && slackAnswer === undefined) {
          outgoing.writeHead(400);
          outgoing.end('invalid_payload');
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
        const incident = vendor?.service.incident?.(request);
        if (incident !== undefined) {
          const states = incidents.get(kind) ?? new Map<string, IncidentKeyState>();
          incidents.set(kind, states);
          recordIncident(states, incident);
        }
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
        if (slackAnswer !== undefined) return;
        const answer = vendor?.service.accepted(request) ?? UNKNOWN_KIND_ANSWER;
        outgoing.writeHead(answer.status, { 'content-type': answer.contentType });
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
    incidents,
    slack,
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
