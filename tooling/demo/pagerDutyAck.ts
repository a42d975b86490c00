/**
 * The demo's PagerDuty round trip: someone acknowledges the first incident the sink opened, and
 * PagerDuty's signed v3 webhook is handled as `POST /api/pagerduty/webhook` handles it (the demo has
 * no Functions host: the handler is called with the request the host would hand it).
 */
import { describeAcknowledgement } from '../../lib/alerts/acknowledged.js';
import type { AlertStore } from '../../lib/alerts/alertStore.js';
import { handlePagerDutyWebhook } from '../../lib/alerts/interactions/pagerDutyWebhook.js';
import { fingerprintOfDedupKey } from '../../lib/alerts/vendors/pagerduty/render.js';
import type { FindingsStore } from '../../lib/findings/findingsStore.js';
import { Secret } from '../../lib/secret.js';
import { pagerDutyWebhooksFor } from '../simulator/pagerDutyWebhooks.js';
import type { RunningSink } from '../simulator/webhookSink.js';

/** The webhook secret of the demo's `pagerduty-oncall` receiver (DEMO_SECRETS in demo.ts). */
const DEMO_WEBHOOK_SECRET = 'demo0000pagerduty0000webhook0secret';

export async function acknowledgeInPagerDuty(sink: RunningSink, store: AlertStore, findings: FindingsStore | undefined): Promise<string> {
  const host = {
    invokeHttp: async (_name: string, call: { headers?: Record<string, string>; body?: string }) =>
      handlePagerDutyWebhook(
        { signature: call.headers?.['x-pagerduty-signature'] ?? null, body: call.body ?? '' },
        {
          secrets: [new Secret(DEMO_WEBHOOK_SECRET)],
          acknowledgements: store.acknowledgements,
          events: store.webhookEvents,
          now: new Date(),
          log: { info: () => undefined, warn: () => undefined },
        },
      ),
  };
  const pagerDuty = pagerDutyWebhooksFor(sink, host, [DEMO_WEBHOOK_SECRET]);
  const [key] = pagerDuty.openKeys();
  const fingerprint = key === undefined ? undefined : fingerprintOfDedupKey(key);
  if (key === undefined || fingerprint === undefined) return 'PagerDuty: no incident was opened';
  const answer = await pagerDuty.send('incident.acknowledged', key, { id: 'PALICE1', summary: 'Alice Oncall' });
  const [finding] = (await findings?.findByFingerprint(fingerprint)) ?? [];
  const shown = describeAcknowledgement((await store.acknowledgements.current([fingerprint])).get(fingerprint));
  return `PagerDuty webhook (v3, signed) → ${answer.status}: ${finding?.ruleId ?? fingerprint} on ${finding?.clusterName ?? '?'} now shows "${shown ?? 'nothing'}" (no repeat on repeatInterval while acknowledged)`;
}
