/**
 * Opsgenie Alert API v2 (docs.opsgenie.com/docs/alert-api): create with `alias` (our dedup key,
 * ≤ 512), `message` ≤ 130 (HTML allowed there, so fleet text is escaped), priority P1–P5; close by
 * alias on resolve (`/v2/alerts/{alias}/close?identifierType=alias`); US and EU endpoints; the key
 * in `Authorization: GenieKey` at send time only.
 */
import { describe, expect, it } from 'vitest';

import type { Alert, PlannedNotification } from '../../../lib/alerts/alert.js';
import { parseAlertingDocument } from '../../../lib/alerts/alertingConfig.js';
import { opsgenie } from '../../../lib/alerts/vendors/opsgenie/index.js';
import { OPSGENIE_LIMITS } from '../../../lib/alerts/vendors/opsgenie/limits.js';
import { aliasOf, renderOpsgenie } from '../../../lib/alerts/vendors/opsgenie/render.js';
import { type FleetGuardError } from '../../../lib/errors.js';
import { SEVERITIES } from '../../../lib/model/finding.js';
import { firing, resolved } from '../../harness/alerts.js';

function notification(alerts: Alert[]): PlannedNotification {
  return { route: 'r', receiver: 'og', groupKey: 'k', alerts };
}

function receiver(region?: 'us' | 'eu') {
  const entry = JSON.stringify({ name: 'og', type: 'opsgenie', apiKeySetting: 'OG_KEY', ...(region === undefined ? {} : { region }) });
  const config = parseAlertingDocument(`receivers: [${entry}]\nroutes: [{ name: r, receiver: og }]`, 'test', { OG_KEY: 'ogKey0001' });
  const found = config.receivers.get('og');
  if (found?.type !== 'opsgenie') throw new Error('no opsgenie receiver');
  return found;
}

describe('Opsgenie Alert API v2', () => {
  it('one create per firing alert: alias from the fingerprint, priority P1–P5 from severity, fields within their limits', () => {
    const alerts = SEVERITIES.map((severity, index) => firing({ severity, ruleId: `AKS-R${index}` }));
    const messages = renderOpsgenie(notification(alerts));
    expect(messages.map((message) => (message.body as { body: { priority: string } }).body.priority)).toEqual(['P1', 'P2', 'P3', 'P4', 'P5']);
    const [first] = messages;
    expect(first?.body).toMatchObject({
      request: 'create',
      body: { alias: `aks-fleet-guard-${alerts[0]?.finding.fingerprint}`, source: 'aks-fleet-guard', entity: 'web-dev' },
    });
    expect((first?.body as { body: { tags: string[] } }).body.tags).toEqual(['aks-fleet-guard', 'severity:critical', 'AKS-R0', 'cluster:web-dev']);
  });

  it('escapes fleet text in the message (HTML is rendered there) and cuts it to 130 characters without splitting an entity', () => {
    const [message] = renderOpsgenie(notification([firing({ cluster: 'prod<a href=x>', title: `${'<b>&'.repeat(60)}` })]));
    const text = (message?.body as { body: { message: string } }).body.message;
    expect(text.length).toBeLessThanOrEqual(OPSGENIE_LIMITS.message);
    expect(text).toContain('prod&lt;a href=x&gt;');
    expect(text).not.toMatch(/<|&(?!amp;|lt;|gt;)/);
    expect(text.endsWith('…')).toBe(true);
  });

  it('an alias over 512 characters becomes a digest, never a cut that could merge two alerts', () => {
    const left = aliasOf(`${'f'.repeat(600)}-left`);
    expect(left.length).toBeLessThanOrEqual(OPSGENIE_LIMITS.alias);
    expect(left).not.toBe(aliasOf(`${'f'.repeat(600)}-right`));
  });

  it('a resolve closes the alert by alias, at the US endpoint by default or the EU one', () => {
    const alert = resolved({ severity: 'high' });
    const [close] = renderOpsgenie(notification([alert]));
    const alias = aliasOf(alert.finding.fingerprint);
    const stored = { body: JSON.stringify(close?.body), deliveryId: 'd' };
    const us = opsgenie.request(stored, receiver(), new Date());
    expect(us.url).toBe(`https://api.opsgenie.com/v2/alerts/${alias}/close?identifierType=alias`);
    expect(JSON.parse(us.body)).toEqual({ source: 'aks-fleet-guard', note: 'Resolved: AKS-LOCAL-ACCOUNTS on web-dev (notObserved)' });
    expect(us.headers).toEqual({ authorization: 'GenieKey ogKey0001' });
    const [create] = renderOpsgenie(notification([firing()]));
    expect(opsgenie.request({ body: JSON.stringify(create?.body), deliveryId: 'd' }, receiver('eu'), new Date()).url).toBe(
      'https://api.eu.opsgenie.com/v2/alerts',
    );
    // The outbox holds no key.
    expect(JSON.stringify([close, create])).not.toContain('ogKey0001');
  });

  it('the routing document accepts region us or eu only, naming the path', () => {
    expect(() =>
      parseAlertingDocument('receivers: [{ name: og, type: opsgenie, apiKeySetting: OG_KEY, region: asia }]\nroutes: [{ name: r, receiver: og }]', 'test', {
        OG_KEY: 'k',
      }),
    ).toThrow(expect.objectContaining({ reason: 'config', message: expect.stringMatching(/test: receivers\.0\.region/) }) as FleetGuardError);
  });
});
