/**
 * The PagerDuty round trip through the registered functions: a sweep pages, the drain sends to the
 * sink (PagerDuty's Events API), someone acknowledges the incident in PagerDuty, PagerDuty's signed
 * v3 webhook (tooling/simulator/pagerDutyWebhooks.ts, from the sink's incidents) reaches
 * `POST /api/pagerduty/webhook`, and the finding shows it and is not paged again on repeatInterval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fingerprintOfDedupKey } from '../../lib/alerts/vendors/pagerduty/render.js';
import { encodePrincipal } from '../../lib/auth/principal.js';
import { findingsShowCommand } from '../../lib/cli/findingsCommand.js';
import { pagerDutyWebhookCall, pagerDutyWebhooksFor, signPagerDutyWebhook } from '../../tooling/simulator/pagerDutyWebhooks.js';
import { type RunningSink, startWebhookSink } from '../../tooling/simulator/webhookSink.js';
import { SECRETS } from '../harness/alerts.js';
import { type AppHost, startAppHost } from '../harness/appHost.js';
import { uniqueTableName } from '../harness/tables.js';

const WEBHOOK_SECRET = 'pdWebhookSigningSecret-e2e-000000001';
const ALICE = { id: 'PALICE1', summary: 'Alice Oncall' };

// repeatInterval 0s: every sweep repeats every open page, unless it is acknowledged.
const ROUTES = `
receivers:
  - { name: pager, type: pagerduty, routingKeySetting: PD_KEY, webhookSecretSetting: PD_WEBHOOK_SECRET }
routes:
  - { name: page, receiver: pager, match: { minSeverity: high }, repeatInterval: 0s }
`;

describe('PagerDuty round trip through the registered functions', () => {
  let sink: RunningSink;
  let app: AppHost;
  let pagerDuty: ReturnType<typeof pagerDutyWebhooksFor>;

  beforeAll(async () => {
    sink = await startWebhookSink();
    app = await startAppHost({
      FLEETGUARD_FINDINGS_TABLE: uniqueTableName('pdfind'),
      FLEETGUARD_SWEEPS_TABLE: uniqueTableName('pdsweep'),
      FLEETGUARD_EVENTS_TABLE: uniqueTableName('pdevent'),
      FLEETGUARD_ALERT_ROUTES: ROUTES,
      FLEETGUARD_ALERT_ENDPOINT: sink.url,
      PD_KEY: SECRETS.PD_KEY,
      PD_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    pagerDuty = pagerDutyWebhooksFor(sink, app.host, [WEBHOOK_SECRET]);
  });
  afterAll(async () => {
    await app?.close();
    await sink?.close();
  });

  const triggers = (key: string) => sink.incidents.get('pagerduty')?.get(key)?.triggers ?? 0;
  async function sweepAndDrain() {
    await app.host.invokeTimer('fleetSweep');
    await app.host.invokeTimer('alertDrain');
  }
  async function show(fingerprint: string): Promise<string> {
    const lines: string[] = [];
    await findingsShowCommand(fingerprint, {}, { stdout: (text) => lines.push(text), width: 200 });
    return lines.join('\n');
  }

  it('registers POST pagerduty/webhook behind the function key', () => {
    expect(app.host.triggerBinding('pagerDutyWebhook')[1]).toMatchObject({
      type: 'httpTrigger',
      route: 'pagerduty/webhook',
      methods: ['POST'],
      authLevel: 'function',
    });
  });

  it('an incident acknowledged in PagerDuty is shown on its finding and not paged again until unacknowledged', async () => {
    await sweepAndDrain();
    const [acked, other] = pagerDuty.openKeys();
    if (acked === undefined || other === undefined) throw new Error('the sweep opened fewer than two PagerDuty incidents');
    const fingerprint = fingerprintOfDedupKey(acked)!;

    const answer = await pagerDuty.send('incident.acknowledged', acked, ALICE);
    expect(answer).toMatchObject({ status: 200, body: { status: 'processed' } });
    const [ackedBefore, otherBefore] = [triggers(acked), triggers(other)];
    await sweepAndDrain();
    expect(triggers(other)).toBe(otherBefore + 1);
    expect(triggers(acked)).toBe(ackedBefore);

    expect(await show(fingerprint)).toMatch(
      /PagerDuty: {3}acknowledged by Alice Oncall in PagerDuty at \S+\nIncident: {4}https:\/\/fleetguard-sim\.pagerduty\.com\/incidents\/P[0-9A-F]{6}/,
    );
    const reader = encodePrincipal({ name: 'rita@contoso.com', roles: ['Alerts.Read'] });
    const report = await app.host.invokeHttp('report', { method: 'GET', path: '/api/report', headers: { 'x-ms-client-principal': reader } });
    expect(report.body as string).toMatch(
      /<span class="ack">acknowledged by Alice Oncall in PagerDuty at [^<]+<\/span> <a href="https:\/\/fleetguard-sim\.pagerduty\.com\/incidents\/P[0-9A-F]{6}"/,
    );

    expect((await pagerDuty.send('incident.unacknowledged', acked, null)).body).toMatchObject({ status: 'processed' });
    await sweepAndDrain();
    expect(triggers(acked)).toBe(ackedBefore + 1);

    expect((await pagerDuty.send('incident.resolved', acked, ALICE)).body).toMatchObject({ status: 'processed' });
    expect(await show(fingerprint)).toMatch(/PagerDuty: {3}resolved by Alice Oncall in PagerDuty at /);
  });

  it('refuses an unsigned delivery with 401 through the host', async () => {
    const body = '{"event":{}}';
    expect((await app.host.invokeHttp('pagerDutyWebhook', pagerDutyWebhookCall(body, undefined))).status).toBe(401);
    expect((await app.host.invokeHttp('pagerDutyWebhook', pagerDutyWebhookCall(body, signPagerDutyWebhook(body, ['not-the-secret'])))).status).toBe(401);
  });
});
