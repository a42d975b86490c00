/**
 * The PagerDuty v3 webhook handler over the real alert store on Azurite, with the Slack app's
 * message port as a small in-memory one (it is the slackapp side's; here only its calls matter).
 * Signatures as developer.pagerduty.com "Verifying Signatures" documents them; the envelope as its
 * "V3 Overview" example (test/fixtures/pagerduty/webhook-v3-incident.json).
 */
import { readFileSync } from 'node:fs';

import { beforeAll, describe, expect, it } from 'vitest';

import { AlertStore } from '../../lib/alerts/alertStore.js';
import type { SlackMessagePort } from '../../lib/alerts/interactionContract.js';
import { acknowledgementOf, parsePagerDutyEnvelope } from '../../lib/alerts/interactions/pagerDutyEvent.js';
import { handlePagerDutyWebhook, type PagerDutyWebhookAnswer } from '../../lib/alerts/interactions/pagerDutyWebhook.js';
import { dedupKeyOf } from '../../lib/alerts/vendors/pagerduty/render.js';
import { Secret } from '../../lib/secret.js';
import { type PagerDutyIncidentEvent, pagerDutyWebhookEnvelope, signPagerDutyWebhook } from '../../tooling/simulator/pagerDutyWebhooks.js';
import { azuriteTable, uniqueTableName } from '../harness/tables.js';

const SECRET = 'pdWebhookSigningSecret-current-0001';
const OLD_SECRET = 'pdWebhookSigningSecret-previous-0000';
const NOW = new Date('2026-11-30T12:00:00.000Z');
const AGENT = { id: 'PLH1HKV', summary: 'Tenex Engineer' };
const fixture = JSON.parse(readFileSync(new URL('../fixtures/pagerduty/webhook-v3-incident.json', import.meta.url), 'utf8')) as {
  payload: unknown;
  ping: { payload: unknown };
};

let fingerprintSeq = 0;
function newFingerprint(): string {
  fingerprintSeq += 1;
  return `${'ab'.repeat(30)}${fingerprintSeq.toString(16).padStart(4, '0')}`;
}

describe('PagerDuty v3 webhooks into the acknowledgement store', () => {
  let store: AlertStore;
  const refreshed: string[][] = [];
  const warnings: string[] = [];
  const slackMessages: SlackMessagePort = {
    find: () => Promise.resolve(undefined),
    requestRefresh: (target) => {
      if ('fingerprints' in target) refreshed.push([...target.fingerprints]);
      return Promise.resolve();
    },
  };

  beforeAll(async () => {
    store = new AlertStore(azuriteTable(uniqueTableName('pdhook')));
    await store.ensureTable();
  });

  function deliver(body: string, signature: string | null, now = NOW): Promise<PagerDutyWebhookAnswer> {
    return handlePagerDutyWebhook(
      { signature, body },
      {
        secrets: [new Secret(SECRET)],
        acknowledgements: store.acknowledgements,
        events: store.webhookEvents,
        slackMessages,
        now,
        log: { info: () => undefined, warn: (message) => warnings.push(message) },
      },
    );
  }

  function event(eventType: PagerDutyIncidentEvent, fingerprint: string, occurredAt: Date, eventId?: string): string {
    return JSON.stringify(
      pagerDutyWebhookEnvelope({ eventType, dedupKey: dedupKeyOf(fingerprint), occurredAt, agent: AGENT, ...(eventId === undefined ? {} : { eventId }) }),
    );
  }

  const state = async (fingerprint: string) => (await store.acknowledgements.current([fingerprint])).get(fingerprint);

  it("reads PagerDuty's documented payload: incident_key carries our dedup_key, agent.summary who", () => {
    const official = fixture.payload as { event: { event_type: string; data: { incident_key: string } } };
    const parsed = parsePagerDutyEnvelope(official);
    if ('error' in parsed) throw new Error(parsed.error);
    // The documented example is a priority change of an incident not opened by us: both are ignored.
    expect(acknowledgementOf(parsed.envelope)).toEqual({ ignored: 'event type incident.priority_updated is not acted on' });
    const fingerprint = newFingerprint();
    const ours = structuredClone(official);
    ours.event.event_type = 'incident.acknowledged';
    ours.event.data.incident_key = dedupKeyOf(fingerprint);
    const again = parsePagerDutyEnvelope(ours);
    if ('error' in again) throw new Error(again.error);
    expect(acknowledgementOf(again.envelope)).toEqual({
      acknowledgement: {
        fingerprint,
        state: 'acknowledged',
        by: 'Tenex Engineer',
        byId: 'PLH1HKV',
        source: 'pagerduty',
        at: '2020-10-02T18:45:22.169Z',
        incidentUrl: 'https://acme.pagerduty.com/incidents/PGR0VU2',
      },
    });
  });

  it("the simulator's envelope has every field of the documented one", () => {
    const keys = (value: unknown, prefix = ''): string[] =>
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? Object.entries(value).flatMap(([key, inner]) => [`${prefix}${key}`, ...keys(inner, `${prefix}${key}.`)])
        : [];
    const simulated = keys(pagerDutyWebhookEnvelope({ eventType: 'incident.acknowledged', dedupKey: 'k', occurredAt: NOW, agent: AGENT }));
    // priority and conference_bridge may be null in PagerDuty's payloads; the simulator sends null.
    const documented = keys(fixture.payload).filter((key) => !/^event\.data\.(priority|conference_bridge|teams)\./.test(key));
    expect(simulated).toEqual(expect.arrayContaining(documented));
  });

  it('records an acknowledgement with who, when and the incident, and asks Slack to refresh the finding', async () => {
    const fingerprint = newFingerprint();
    const body = event('incident.acknowledged', fingerprint, new Date(NOW.getTime() - 60_000), 'e-ack-2');
    const accepted = await deliver(body, signPagerDutyWebhook(body, [SECRET]));
    expect(accepted).toMatchObject({ status: 200, body: { status: 'processed' } });
    expect(await state(fingerprint)).toMatchObject({ state: 'acknowledged', by: 'Tenex Engineer', byId: 'PLH1HKV', at: '2026-11-30T11:59:00.000Z' });
    expect((await state(fingerprint))?.incidentUrl).toMatch(/^https:\/\/fleetguard-sim\.pagerduty\.com\/incidents\/P[0-9A-F]{6}$/);
    expect(refreshed.at(-1)).toEqual([fingerprint]);
  });

  describe('signatures (each refused with 401, nothing written)', () => {
    async function refusedWith(signature: string | null, body?: string) {
      const fingerprint = newFingerprint();
      const text = body ?? event('incident.acknowledged', fingerprint, NOW);
      const before = refreshed.length;
      const answer = await deliver(text, signature);
      expect(answer.status).toBe(401);
      expect(await state(fingerprint)).toBeUndefined();
      expect(refreshed.length).toBe(before);
      return answer;
    }

    it('missing', async () => {
      await refusedWith(null);
    });

    it('bad (not an HMAC of this body)', async () => {
      await refusedWith(`v1=${'0'.repeat(64)}`);
    });

    it('signed with another secret', async () => {
      const fingerprint = newFingerprint();
      const body = event('incident.acknowledged', fingerprint, NOW);
      await refusedWith(signPagerDutyWebhook(body, ['some-other-secret']), body);
    });

    it('a v1 signature of a body that was changed after signing', async () => {
      const fingerprint = newFingerprint();
      const body = event('incident.acknowledged', fingerprint, NOW);
      await refusedWith(signPagerDutyWebhook(body, [SECRET]), body.replace('Tenex Engineer', 'Mallory'));
    });

    it('never logs the secret', () => {
      expect(warnings.join('\n')).not.toContain(SECRET);
      expect(warnings.some((line) => line.includes('no signature in X-PagerDuty-Signature matches'))).toBe(true);
    });
  });

  it('accepts a rotation: the first signature under the old secret, the second under ours', async () => {
    const fingerprint = newFingerprint();
    const body = event('incident.acknowledged', fingerprint, NOW);
    const answer = await deliver(body, signPagerDutyWebhook(body, [OLD_SECRET, SECRET]));
    expect(answer).toMatchObject({ status: 200, body: { status: 'processed' } });
    expect((await state(fingerprint))?.state).toBe('acknowledged');
  });

  it('refuses a replayed event id: 2xx (PagerDuty redelivers genuinely), nothing written, no refresh', async () => {
    const fingerprint = newFingerprint();
    const first = event('incident.acknowledged', fingerprint, new Date(NOW.getTime() - 120_000), 'e-replay');
    expect((await deliver(first, signPagerDutyWebhook(first, [SECRET]))).body).toMatchObject({ status: 'processed' });
    const refreshes = refreshed.length;
    const replayed = await deliver(first, signPagerDutyWebhook(first, [SECRET]), new Date(NOW.getTime() + 1_000));
    expect(replayed).toEqual({ status: 200, body: { status: 'duplicate', message: 'event e-replay was already processed' } });
    expect(refreshed.length).toBe(refreshes);
  });

  it('keeps the newest state when PagerDuty delivers out of order', async () => {
    const fingerprint = newFingerprint();
    const acknowledged = event('incident.acknowledged', fingerprint, new Date(NOW.getTime() - 120_000));
    const unacknowledged = event('incident.unacknowledged', fingerprint, new Date(NOW.getTime() - 60_000));
    await deliver(unacknowledged, signPagerDutyWebhook(unacknowledged, [SECRET]));
    await deliver(acknowledged, signPagerDutyWebhook(acknowledged, [SECRET]));
    expect(await state(fingerprint)).toMatchObject({ state: 'unacknowledged', at: '2026-11-30T11:59:00.000Z' });
    const resolved = event('incident.resolved', fingerprint, NOW);
    await deliver(resolved, signPagerDutyWebhook(resolved, [SECRET]));
    expect((await state(fingerprint))?.state).toBe('resolved');
  });

  it('answers 2xx without acting on stale events, pings, other event types and incidents not ours', async () => {
    const fingerprint = newFingerprint();
    const stale = event('incident.acknowledged', fingerprint, new Date(NOW.getTime() - 3 * 3_600_000));
    expect((await deliver(stale, signPagerDutyWebhook(stale, [SECRET]))).body).toMatchObject({ status: 'stale' });
    const ahead = event('incident.acknowledged', fingerprint, new Date(NOW.getTime() + 10 * 60_000));
    expect((await deliver(ahead, signPagerDutyWebhook(ahead, [SECRET]))).body).toMatchObject({ status: 'stale' });
    const ping = JSON.stringify(fixture.ping.payload);
    expect(await deliver(ping, signPagerDutyWebhook(ping, [SECRET]))).toEqual({ status: 200, body: { status: 'ignored', message: 'ping received' } });
    const triggered = event('incident.triggered', fingerprint, NOW);
    expect((await deliver(triggered, signPagerDutyWebhook(triggered, [SECRET]))).body).toMatchObject({ status: 'ignored' });
    const foreign = JSON.stringify(
      pagerDutyWebhookEnvelope({ eventType: 'incident.acknowledged', dedupKey: 'd3640fbd41094207a1c11e58e46b1662', occurredAt: NOW, agent: AGENT }),
    );
    expect((await deliver(foreign, signPagerDutyWebhook(foreign, [SECRET]))).body).toMatchObject({ status: 'ignored' });
    expect(await state(fingerprint)).toBeUndefined();
  });

  it('refuses a signed body that is not a v3 envelope (400) and one over 256 KB (413)', async () => {
    const junk = '{"event":{"id":"x"}}';
    expect((await deliver(junk, signPagerDutyWebhook(junk, [SECRET]))).status).toBe(400);
    const huge = JSON.stringify({ pad: 'x'.repeat(256 * 1024) });
    expect((await deliver(huge, signPagerDutyWebhook(huge, [SECRET]))).status).toBe(413);
  });
  it('forgets processed ids once their events would be stale anyway, and only those', async () => {
    const keep = 2 * 3_600_000 + 5 * 60_000;
    const old = new Date(NOW.getTime() - 4 * 3_600_000);
    const recent = new Date(NOW.getTime() - 60_000);
    expect(await store.webhookEvents.markProcessed('pagerduty', 'e-old', old, old)).toBe(true);
    expect(await store.webhookEvents.markProcessed('pagerduty', 'e-recent', recent, recent)).toBe(true);
    expect(await store.webhookEvents.expire('pagerduty', NOW, keep)).toBeGreaterThanOrEqual(1);
    expect(await store.webhookEvents.markProcessed('pagerduty', 'e-old', old, NOW)).toBe(true);
    expect(await store.webhookEvents.markProcessed('pagerduty', 'e-recent', recent, NOW)).toBe(false);
  });
});
