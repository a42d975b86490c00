/**
 * The Slack app receiver's pure parts: how Slack's answers are read (docs.slack.dev/reference/methods/chat.postMessage
 * and chat.update, "Errors"; docs.slack.dev/apis/web-api/rate-limits), which Slack call each change
 * of a group becomes, the rendering (buttons, annotations, packing) and the receiver entry.
 */
import { describe, expect, it } from 'vitest';

import { parseAlertingDocument } from '../../../../lib/alerts/alertingConfig.js';
import { decodeButtonValue, type PostedSlackMessage } from '../../../../lib/alerts/interactionContract.js';
import { slackMessageKey } from '../../../../lib/alerts/store/slackMessages.js';
import type { HttpAnswer } from '../../../../lib/alerts/transport.js';
import { classifySlackAnswer } from '../../../../lib/alerts/vendors/slackApp/api.js';
import { slackApp } from '../../../../lib/alerts/vendors/slackApp/index.js';
import { type NotifyIntent, postedAlert, renderMessage, renderSlackAppIntents } from '../../../../lib/alerts/vendors/slackApp/render.js';
import { planSteps } from '../../../../lib/alerts/vendors/slackApp/steps.js';
import { firing, resolved } from '../../../harness/alerts.js';

const answer = (status: number, body: unknown, retryAfterSeconds?: number): HttpAnswer => ({
  status,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  retryAfterSeconds,
  error: undefined,
});

describe('Slack answers', () => {
  it('reads ok:false by its error: transient ones retried, the rest permanent; 429 and 5xx retried', () => {
    const table: Array<[HttpAnswer, string]> = [
      [answer(200, { ok: true, channel: 'C1', ts: '1.2' }), 'ok'],
      [answer(429, { ok: false, error: 'ratelimited' }, 30), 'retry'],
      [answer(503, 'down'), 'retry'],
      [answer(200, 'not json'), 'retry'],
      [answer(404, { ok: false, error: 'unknown_method' }), 'give-up'],
      ...['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout'].map((error): [HttpAnswer, string] => [
        answer(200, { ok: false, error }),
        'retry',
      ]),
      ...[
        'invalid_auth',
        'not_authed',
        'channel_not_found',
        'not_in_channel',
        'is_archived',
        'msg_too_long',
        'invalid_blocks',
        'message_not_found',
        'cant_update_message',
        'edit_window_closed',
      ].map((error): [HttpAnswer, string] => [answer(200, { ok: false, error }), 'give-up']),
    ];
    for (const [given, kind] of table) expect([given.body, classifySlackAnswer(given).kind]).toEqual([given.body, kind]);
    expect(classifySlackAnswer(answer(200, { ok: true, channel: 'C1', ts: '1.2' }))).toEqual({ kind: 'ok', message: { channel: 'C1', ts: '1.2' } });
  });
});

const ROUTE = 'r';
const GROUP = 'k';
const target = { name: 'ops', buttons: true };

function intent(alerts: ReturnType<typeof firing>[]): NotifyIntent {
  return { intent: 'notify', route: ROUTE, groupKey: GROUP, groupBy: ['cluster'], alerts: alerts.map(postedAlert) };
}

function record(sequence: number, alerts: ReturnType<typeof firing>[]): PostedSlackMessage {
  return {
    receiver: 'ops',
    messageKey: slackMessageKey(ROUTE, GROUP, sequence),
    route: ROUTE,
    groupKey: GROUP,
    groupBy: ['cluster'],
    channel: 'C1',
    ts: `1.${sequence}`,
    postedAt: '',
    alerts: alerts.map(postedAlert),
  };
}

describe('which Slack call a change of the group becomes', () => {
  const a = firing({ ruleId: 'AKS-A' });
  const b = firing({ ruleId: 'AKS-B' });

  it('no message yet: a post', () => {
    expect(planSteps(intent([a, b]), [], target).map((step) => [step.op, step.messageKey, step.alerts.length])).toEqual([
      ['post', slackMessageKey(ROUTE, GROUP, 0), 2],
    ]);
  });

  it('a resolve: an update of the message showing it; a repeat: a reply in its thread', () => {
    const steps = planSteps(intent([resolved({ ruleId: 'AKS-A' }), b]), [record(0, [a, b])], target);
    expect(steps.map((step) => [step.op, step.messageKey, step.alerts.map((alert) => `${alert.ruleId}:${alert.status}`)])).toEqual([
      // The update carries only the change; the record's other alerts are merged in when it is sent.
      ['update', slackMessageKey(ROUTE, GROUP, 0), ['AKS-A:resolved']],
      ['reply', slackMessageKey(ROUTE, GROUP, 0), ['AKS-B:firing']],
    ]);
  });

  it('a severity change: an update; the same state again: nothing', () => {
    expect(planSteps(intent([firing({ ruleId: 'AKS-A', severity: 'critical' })]), [record(0, [a])], target).map((step) => step.op)).toEqual(['update']);
    expect(planSteps(intent([resolved({ ruleId: 'AKS-A' })]), [record(0, [resolved({ ruleId: 'AKS-A' })])], target)).toEqual([]);
  });

  it('a group that fully resolved and fires again: a new message (the next key), the old one left as it was', () => {
    const steps = planSteps(intent([a]), [record(0, [resolved({ ruleId: 'AKS-A' })])], target);
    expect(steps.map((step) => [step.op, step.messageKey])).toEqual([['post', slackMessageKey(ROUTE, GROUP, 1)]]);
  });
});

describe('rendering', () => {
  it('a large group becomes several intents, each fitting one message, every alert in exactly one', () => {
    const alerts = Array.from({ length: 150 }, (_unused, index) => firing({ ruleId: `AKS-RULE-${index}`, title: `漢字 <!channel> ${'x'.repeat(250)}` }));
    const intents = renderSlackAppIntents({ route: ROUTE, receiver: 'ops', groupKey: GROUP, alerts, groupBy: ['cluster'] });
    expect(intents.length).toBeGreaterThan(1);
    expect(intents.reduce((sum, message) => sum + message.alertCount, 0)).toBe(150);
    const posted = intents.flatMap((message) => (message.body as unknown as NotifyIntent).alerts.map((alert) => alert.fingerprint));
    expect(new Set(posted).size).toBe(150);
    for (const message of intents) {
      const request = slackApp.request(
        { body: JSON.stringify(message.body), deliveryId: 'd' },
        parseAlertingDocument(
          JSON.stringify({ receivers: [slackApp.example.entry], routes: [{ name: 'r', receiver: 'example' }] }),
          't',
          slackApp.example.settings,
        ).receivers.get('example') as never,
        new Date(),
      );
      expect(
        slackApp.service.refusal({
          path: new URL(request.url).pathname,
          headers: request.headers,
          rawBody: request.body,
          body: JSON.parse(request.body) as unknown,
        }),
      ).toBeUndefined();
    }
  });

  it('buttons only with a signing secret, each naming the message; none once everything resolved', () => {
    const view = { receiver: 'ops', messageKey: 'm-000000', route: ROUTE, alerts: [postedAlert(firing())], buttons: true };
    const notes = { silences: [], acknowledgements: new Map(), now: new Date() };
    const actions = renderMessage(view, notes).blocks.find((block) => block['type'] === 'actions') as { elements: Array<{ action_id: string; value: string }> };
    expect(actions.elements.map((element) => element.action_id)).toEqual(['fleetguard_silence_4h', 'fleetguard_silence_1d', 'fleetguard_acknowledge']);
    expect(decodeButtonValue(actions.elements[0]!.value)).toEqual({ receiver: 'ops', messageKey: 'm-000000' });
    expect(renderMessage({ ...view, buttons: false }, notes).blocks.some((block) => block['type'] === 'actions')).toBe(false);
    expect(renderMessage({ ...view, alerts: [postedAlert(resolved())] }, notes).blocks.some((block) => block['type'] === 'actions')).toBe(false);
  });
});

describe('the receiver entry', () => {
  const parse = (entry: Record<string, unknown>) => () =>
    parseAlertingDocument(
      JSON.stringify({
        receivers: [{ name: 's', type: 'slackApp', botTokenSetting: 'T', channel: 'C0123456789', ...entry }],
        routes: [{ name: 'r', receiver: 's' }],
      }),
      'doc',
      { T: 'xoxb-1', S: 'secret' },
    );

  it('reads the token and signing secret from app settings, never holding them in the document', () => {
    const receiver = parse({
      signingSecretSetting: 'S',
      allowedActors: [{ slackUserId: 'U0123ABC', principal: 'alice@contoso.com' }, { slackGroupId: 'S0456DEF' }],
    })().receivers.get('s');
    expect(JSON.stringify(receiver)).not.toContain('xoxb-1');
    expect(receiver).toMatchObject({ type: 'slackApp', channel: 'C0123456789', allowedActors: [{ slackUserId: 'U0123ABC' }, { slackGroupId: 'S0456DEF' }] });
  });

  it('refuses a channel name, an actor naming neither or both ids, and an unset setting', () => {
    expect(parse({ channel: '#alerts' })).toThrow(/must be a Slack channel id/);
    expect(parse({ allowedActors: [{ principal: 'x' }] })).toThrow(/exactly one of slackUserId or slackGroupId/);
    expect(parse({ signingSecretSetting: 'UNSET' })).toThrow(/app setting UNSET is not set/);
  });
});
