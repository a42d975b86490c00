/**
 * The PagerDuty v3 webhook envelope (developer.pagerduty.com "V3 Overview", PagerDuty/developer-docs
 * docs/webhooks/01-Overview.md; the example is test/fixtures/pagerduty/webhook-v3-incident.json):
 * one event per webhook, `event.id`, `event.event_type`, `event.occurred_at`, `event.agent` (who
 * did it; null for PagerDuty itself), `event.data` (an `incident` for incident events, with its
 * `incident_key`). For incidents opened through the Events API v2, the incident key is the event's
 * `dedup_key` (the REST API's Incident: "incident_key: The incident's de-duplication key"), which
 * vendors/pagerduty/render.ts builds from a finding's fingerprint: one incident per finding.
 */
import { z } from 'zod';

import type { Acknowledgement } from '../interactionContract.js';
import { fingerprintOfDedupKey } from '../vendors/pagerduty/render.js';

/** The incident event types that change what a finding shows; every other type is answered 2xx and ignored. */
export const PAGERDUTY_ACK_EVENTS: Readonly<Record<string, Acknowledgement['state']>> = {
  'incident.acknowledged': 'acknowledged',
  'incident.unacknowledged': 'unacknowledged',
  'incident.resolved': 'resolved',
};

/** PagerDuty's test event ("Send Test Event" on a subscription): answered 2xx, nothing done. */
export const PAGERDUTY_PING = 'pagey.ping';

const reference = z.object({ id: z.string().min(1).max(200), summary: z.string().max(1_000).optional(), type: z.string().max(200).optional() });

const envelopeSchema = z.object({
  event: z.object({
    id: z.string().min(1).max(200),
    event_type: z.string().min(1).max(200),
    resource_type: z.string().max(200).optional(),
    occurred_at: z.iso.datetime({ offset: true }),
    agent: reference.nullable().optional(),
    data: z.unknown(),
  }),
});

const incidentSchema = z.object({
  id: z.string().min(1).max(200),
  type: z.literal('incident'),
  html_url: z.url({ protocol: /^https$/ }).max(2_048),
  status: z.string().max(100),
  incident_key: z.string().max(1_000).nullable().optional(),
});

export type PagerDutyEnvelope = z.output<typeof envelopeSchema>;

export function parsePagerDutyEnvelope(json: unknown): { envelope: PagerDutyEnvelope } | { error: string } {
  const parsed = envelopeSchema.safeParse(json);
  return parsed.success ? { envelope: parsed.data } : { error: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') };
}

/** What an incident event means for our findings: the acknowledgement to record, or why nothing is. */
export function acknowledgementOf(envelope: PagerDutyEnvelope): { acknowledgement: Acknowledgement } | { ignored: string } {
  const { event } = envelope;
  const state = PAGERDUTY_ACK_EVENTS[event.event_type];
  if (state === undefined) return { ignored: `event type ${event.event_type} is not acted on` };
  const incident = incidentSchema.safeParse(event.data);
  if (!incident.success)
    return { ignored: `its data is not an incident (${incident.error.issues[0]?.path.join('.') ?? ''}: ${incident.error.issues[0]?.message ?? ''})` };
  const key = incident.data.incident_key;
  const fingerprint = key === null || key === undefined ? undefined : fingerprintOfDedupKey(key);
  if (fingerprint === undefined) return { ignored: `incident ${incident.data.id} was not opened by aks-fleet-guard (its incident key is not one of ours)` };
  const agent = event.agent ?? undefined;
  return {
    acknowledgement: {
      fingerprint,
      state,
      // Who: the user for a person's action; PagerDuty's own (an auto-resolve, a timeout) has no agent.
      by: agent?.summary ?? agent?.id ?? 'PagerDuty',
      byId: agent?.id ?? '',
      source: 'pagerduty',
      at: new Date(Date.parse(event.occurred_at)).toISOString(),
      incidentUrl: incident.data.html_url,
    },
  };
}
