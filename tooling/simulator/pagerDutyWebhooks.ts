/**
 * PagerDuty's side of the round trip: what a PagerDuty v3 webhook subscription sends when someone
 * acknowledges, unacknowledges or resolves an incident the sink opened from one of our Events API
 * v2 `dedup_key`s. The envelope has the shape of PagerDuty's documented example
 * (test/fixtures/pagerduty/webhook-v3-incident.json, from developer.pagerduty.com "V3 Overview"),
 * signed as "Verifying Signatures" documents (`v1=` hex HMAC-SHA256 of the raw body, one signature
 * per secret, comma-separated), and posted to the app the way the Functions host invokes it.
 */
import { createHash, randomUUID } from 'node:crypto';

import { pagerDutySignature } from '../../lib/alerts/interactions/pagerDutySignature.js';
import type { HttpCall } from '../local/functionsHost.js';
import type { RunningSink } from './webhookSink.js';

export type PagerDutyIncidentEvent = 'incident.acknowledged' | 'incident.unacknowledged' | 'incident.resolved' | 'incident.triggered';

export interface PagerDutyAgent {
  id: string;
  summary: string;
}

/** The incident id PagerDuty would have given the incident of a key: stable, so every event of it names the same incident. */
export function simulatedIncidentId(dedupKey: string): string {
  return `P${createHash('sha256').update(dedupKey).digest('hex').slice(0, 6).toUpperCase()}`;
}

const ACCOUNT = 'https://fleetguard-sim.pagerduty.com';
const API = 'https://api.pagerduty.com';

/** A v3 webhook envelope for one incident event, with every field of PagerDuty's documented example. */
export function pagerDutyWebhookEnvelope(options: {
  eventType: PagerDutyIncidentEvent;
  dedupKey: string;
  occurredAt: Date;
  agent: PagerDutyAgent | null;
  eventId?: string;
}): unknown {
  const incidentId = simulatedIncidentId(options.dedupKey);
  const status = {
    'incident.acknowledged': 'acknowledged',
    'incident.unacknowledged': 'triggered',
    'incident.resolved': 'resolved',
    'incident.triggered': 'triggered',
  }[options.eventType];
  const user = (id: string, summary: string) => ({ html_url: `${ACCOUNT}/users/${id}`, id, self: `${API}/users/${id}`, summary, type: 'user_reference' });
  return {
    event: {
      id: options.eventId ?? randomUUID(),
      event_type: options.eventType,
      resource_type: 'incident',
      occurred_at: options.occurredAt.toISOString(),
      agent: options.agent === null ? null : user(options.agent.id, options.agent.summary),
      client: { name: 'PagerDuty' },
      data: {
        id: incidentId,
        type: 'incident',
        self: `${API}/incidents/${incidentId}`,
        html_url: `${ACCOUNT}/incidents/${incidentId}`,
        number: 1,
        status,
        incident_key: options.dedupKey,
        created_at: options.occurredAt.toISOString(),
        title: `aks-fleet-guard ${options.dedupKey}`,
        service: { html_url: `${ACCOUNT}/services/PFLEET1`, id: 'PFLEET1', self: `${API}/services/PFLEET1`, summary: 'AKS fleet', type: 'service_reference' },
        assignees: options.agent === null ? [] : [user(options.agent.id, options.agent.summary)],
        escalation_policy: {
          html_url: `${ACCOUNT}/escalation_policies/PFLEETE`,
          id: 'PFLEETE',
          self: `${API}/escalation_policies/PFLEETE`,
          summary: 'Default',
          type: 'escalation_policy_reference',
        },
        teams: [],
        priority: null,
        urgency: 'high',
        conference_bridge: null,
        resolve_reason: null,
      },
    },
  };
}

/** The `X-PagerDuty-Signature` PagerDuty sends: one `v1=` signature per signing secret (two during a rotation). */
export function signPagerDutyWebhook(body: string, secrets: readonly string[]): string {
  return secrets.map((secret) => pagerDutySignature(body, secret)).join(',');
}

/** The HTTP call the Functions host makes for a PagerDuty delivery to `POST /api/pagerduty/webhook`. */
export function pagerDutyWebhookCall(body: string, signature: string | undefined): HttpCall {
  return {
    method: 'POST',
    path: '/api/pagerduty/webhook',
    headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'x-pagerduty-signature': signature }) },
    body,
  };
}

type HttpHost = { invokeHttp(name: string, call: HttpCall): Promise<{ status: number; body: unknown }> };

/**
 * PagerDuty for the sink's incidents: `send('incident.acknowledged', key, agent)` posts, signed with
 * the subscription's secret(s), the event for an incident the sink opened from `key` (refused when
 * the sink never opened one: PagerDuty has nothing to report on a key it never got).
 */
export function pagerDutyWebhooksFor(sink: Pick<RunningSink, 'incidents'>, host: HttpHost, secrets: readonly string[], clock: () => Date = () => new Date()) {
  return {
    /** The dedup keys the sink holds an open incident for, in the order they first arrived. */
    openKeys(): string[] {
      return [...(sink.incidents.get('pagerduty') ?? new Map<string, { open: boolean }>()).entries()].filter(([, state]) => state.open).map(([key]) => key);
    },
    async send(eventType: PagerDutyIncidentEvent, dedupKey: string, agent: PagerDutyAgent | null, options: { occurredAt?: Date; eventId?: string } = {}) {
      if (!(sink.incidents.get('pagerduty')?.has(dedupKey) ?? false)) throw new Error(`the sink never opened a PagerDuty incident for ${dedupKey}`);
      const body = JSON.stringify(
        pagerDutyWebhookEnvelope({
          eventType,
          dedupKey,
          agent,
          occurredAt: options.occurredAt ?? clock(),
          ...(options.eventId === undefined ? {} : { eventId: options.eventId }),
        }),
      );
      return host.invokeHttp('pagerDutyWebhook', pagerDutyWebhookCall(body, signPagerDutyWebhook(body, secrets)));
    },
  };
}
