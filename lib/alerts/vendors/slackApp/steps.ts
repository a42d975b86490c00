/**
 * The Slack app's send-time steps (`SendSteps`, vendors/vendor.ts). An outbox message written at
 * plan time says what changed in a group (`notify`) or asks for a message to be re-rendered
 * (`refresh`); only at send time, in the receiver's order, are the group's posted messages known
 * (their `ts` comes back from the first chat.postMessage). The steps are then worked out once from
 * the message records (store/slackMessages.ts) and kept in the outbox message; each step is one
 * Slack call, recorded before the next:
 * - `update` (chat.update) a message whose alerts changed: a resolve, a severity or title change,
 *   a finding that fired again while the message is open, a new finding of the group placed in
 *   the group's open message while it fits. Idempotent: applying it twice shows the same.
 * - `post` (chat.postMessage) a new message: the group has no open message (never posted, or every
 *   alert of its messages resolved: a group that fires again after it fully resolved gets a new
 *   message at the bottom of the channel, where people look; the old one stays as its history, as
 *   chat.update does not notify anyone and an edit far up the channel would go unseen), or the
 *   open one is full. Not idempotent (Slack has no idempotency key): at most once, as the
 *   incoming webhook.
 * - `reply` (chat.postMessage with `thread_ts`) in a message's thread: the alerts still firing at
 *   their `repeatInterval` (instead of a new message in the channel), and the findings new in an
 *   open message (an edit notifies no one; a reply does, in the thread).
 */
import type { PostedAlert, PostedSlackMessage } from '../../interactionContract.js';
import { slackMessageKey, slackMessageSequence, type StoredSlackMessage } from '../../store/slackMessages.js';
import type { HttpAnswer } from '../../transport.js';
import type { OutgoingRequest, SendContext, SendStep, StepOutcome, StoredMessage } from '../vendor.js';
import { classifySlackAnswer, SLACK_API_BASES, type SlackMethod } from './api.js';
import { type Annotations, fitsOneMessage, type NotifyIntent, renderMessage, renderReply, type SlackContent } from './render.js';

/** The receiver as the steps need it (vendors/slackApp/index.ts). */
export interface SlackAppTarget {
  name: string;
  channel: string;
  botToken: { reveal(): string };
  signingSecret: unknown;
  govSlack: boolean;
}

interface GroupOf {
  route: string;
  groupKey: string;
  groupBy: string[];
}

export type SlackStep =
  | ({ op: 'post'; messageKey: string; alerts: PostedAlert[] } & GroupOf)
  /** `alerts`: only what changed; merged into the record's alerts when sent (a step's size stays that of its change). */
  | { op: 'update'; messageKey: string; alerts: PostedAlert[] }
  | { op: 'reply'; messageKey: string; alerts: PostedAlert[]; label: 'repeat' | 'new' };

type Body = (NotifyIntent | { intent: 'refresh'; messageKey: string }) & { steps?: SlackStep[] };

/** Chat.postMessage: about one message per second per channel (docs.slack.dev/reference/methods/chat.postMessage, "Rate limiting"). */
export const POST_PACE_MS = 1_000;

/** The record's alerts with the changed ones replaced (by fingerprint) and new ones appended: applying it twice changes nothing. */
export function mergeAlerts(shown: readonly PostedAlert[], changes: readonly PostedAlert[]): PostedAlert[] {
  const changed = new Map(changes.map((alert) => [alert.fingerprint, alert]));
  const merged = shown.map((alert) => changed.get(alert.fingerprint) ?? alert);
  const present = new Set(shown.map((alert) => alert.fingerprint));
  return [...merged, ...changes.filter((alert) => !present.has(alert.fingerprint))];
}

const sameShown = (left: PostedAlert, right: PostedAlert) => left.status === right.status && left.severity === right.severity && left.title === right.title;

/** The steps of a `notify`: see the module comment. Pure: records in, steps out. */
export function planSteps(intent: NotifyIntent, records: readonly PostedSlackMessage[], target: { name: string; buttons: boolean }): SlackStep[] {
  const isOpen = (record: PostedSlackMessage) => record.alerts.some((alert) => alert.status === 'firing');
  const working = new Map<string, PostedAlert[]>();
  const shown = (record: PostedSlackMessage) => working.get(record.messageKey) ?? record.alerts;
  const replies = new Map<string, { repeat: PostedAlert[]; fresh: PostedAlert[] }>();
  const reply = (record: PostedSlackMessage) =>
    replies.get(record.messageKey) ?? replies.set(record.messageKey, { repeat: [], fresh: [] }).get(record.messageKey)!;
  const holding = (fingerprint: string, openOnly: boolean) =>
    [...records].reverse().find((record) => (!openOnly || isOpen(record)) && record.alerts.some((alert) => alert.fingerprint === fingerprint));
  const changes = new Map<string, PostedAlert[]>();
  const change = (record: PostedSlackMessage, alert: PostedAlert) => {
    working.set(record.messageKey, mergeAlerts(shown(record), [alert]));
    changes.set(record.messageKey, mergeAlerts(changes.get(record.messageKey) ?? [], [alert]));
  };
  const unplaced: PostedAlert[] = [];
  for (const alert of intent.alerts) {
    const record = holding(alert.fingerprint, alert.status === 'firing');
    const current = record === undefined ? undefined : shown(record).find((candidate) => candidate.fingerprint === alert.fingerprint);
    if (record === undefined || current === undefined) unplaced.push(alert);
    else if (alert.status === 'firing' && sameShown(current, alert)) reply(record).repeat.push(alert);
    else {
      change(record, alert);
      if (alert.status === 'firing' && current.status === 'resolved') reply(record).fresh.push(alert);
    }
  }
  // New findings join the group's newest open message while it fits, else new messages follow.
  const open = [...records].reverse().find(isOpen);
  const posts: PostedAlert[][] = [];
  for (const alert of unplaced) {
    const grown = open === undefined ? undefined : [...shown(open), alert];
    if (
      open !== undefined &&
      grown !== undefined &&
      fitsOneMessage({ receiver: target.name, messageKey: open.messageKey, route: intent.route, alerts: grown, buttons: target.buttons })
    ) {
      change(open, alert);
      if (alert.status === 'firing') reply(open).fresh.push(alert);
      continue;
    }
    const last = posts.at(-1);
    if (
      last !== undefined &&
      fitsOneMessage({ receiver: target.name, messageKey: 'k', route: intent.route, alerts: [...last, alert], buttons: target.buttons })
    )
      last.push(alert);
    else posts.push([alert]);
  }
  const steps: SlackStep[] = [];
  for (const record of records) {
    const alerts = working.get(record.messageKey);
    const changed = changes.get(record.messageKey);
    if (alerts !== undefined && changed !== undefined && JSON.stringify(alerts) !== JSON.stringify(record.alerts)) {
      steps.push({ op: 'update', messageKey: record.messageKey, alerts: changed });
    }
  }
  let sequence = Math.max(-1, ...records.map((record) => slackMessageSequence(record.messageKey)));
  for (const alerts of posts) {
    sequence += 1;
    steps.push({
      op: 'post',
      messageKey: slackMessageKey(intent.route, intent.groupKey, sequence),
      alerts,
      route: intent.route,
      groupKey: intent.groupKey,
      groupBy: intent.groupBy,
    });
  }
  for (const [messageKey, { repeat, fresh }] of replies) {
    if (fresh.length > 0) steps.push({ op: 'reply', messageKey, alerts: fresh, label: 'new' });
    if (repeat.length > 0) steps.push({ op: 'reply', messageKey, alerts: repeat, label: 'repeat' });
  }
  return steps;
}

function parseBody(message: StoredMessage): Body {
  return JSON.parse(message.body) as Body;
}

async function stepsOf(body: Body, receiver: SlackAppTarget, context: SendContext): Promise<SlackStep[]> {
  if (body.steps !== undefined) return body.steps;
  const messages = context.store.slackMessages;
  if (body.intent === 'refresh') {
    const record = await messages.find({ receiver: receiver.name, messageKey: body.messageKey });
    return record === undefined ? [] : [{ op: 'update', messageKey: record.messageKey, alerts: [] }];
  }
  const records = await messages.group(receiver.name, body.route, body.groupKey);
  return planSteps(body, records, { name: receiver.name, buttons: receiver.signingSecret !== undefined });
}

async function annotations(alerts: readonly PostedAlert[], context: SendContext): Promise<Annotations> {
  const fingerprints = alerts.map((alert) => alert.fingerprint);
  const [silences, acknowledgements] = await Promise.all([
    context.store.silences.listSilences(),
    context.store.acknowledgements?.current(fingerprints) ?? Promise.resolve(new Map()),
  ]);
  return { silences, acknowledgements, now: context.now };
}

export function slackRequest(receiver: SlackAppTarget, method: SlackMethod, body: Record<string, unknown>): OutgoingRequest {
  const base = receiver.govSlack ? SLACK_API_BASES.govslack : SLACK_API_BASES.default;
  // docs.slack.dev/apis/web-api: JSON bodies need the token as a bearer header and this content type.
  return {
    url: `${base}/${method}`,
    body: JSON.stringify(body),
    headers: { authorization: `Bearer ${receiver.botToken.reveal()}`, 'content-type': 'application/json; charset=utf-8' },
  };
}

/** Fleet text never unfurls into a preview. */
function content(rendered: SlackContent): Record<string, unknown> {
  return { text: rendered.text, blocks: rendered.blocks, unfurl_links: false, unfurl_media: false };
}

/** A first post of an intent's alerts, as `AlertVendor.request` builds it without the store. */
export function firstPost(intent: NotifyIntent, receiver: SlackAppTarget): OutgoingRequest {
  const rendered = renderMessage(
    {
      receiver: receiver.name,
      messageKey: slackMessageKey(intent.route, intent.groupKey, 0),
      route: intent.route,
      alerts: intent.alerts,
      buttons: receiver.signingSecret !== undefined,
    },
    { silences: [], acknowledgements: new Map(), now: new Date(0) },
  );
  return slackRequest(receiver, 'chat.postMessage', { channel: receiver.channel, ...content(rendered) });
}

async function requestFor(
  step: SlackStep,
  record: StoredSlackMessage | undefined,
  receiver: SlackAppTarget,
  context: SendContext,
  route: string,
): Promise<SendStep['request']> {
  const buttons = receiver.signingSecret !== undefined;
  if (step.op === 'reply') {
    return slackRequest(receiver, 'chat.postMessage', {
      channel: record?.channel ?? receiver.channel,
      thread_ts: record?.ts,
      ...content(renderReply(step.alerts, step.label)),
    });
  }
  const alerts = step.op === 'update' && record !== undefined ? mergeAlerts(record.alerts, step.alerts) : step.alerts;
  const view = { receiver: receiver.name, messageKey: step.messageKey, route: record?.route ?? route, alerts, buttons };
  const rendered = renderMessage(view, await annotations(alerts, context));
  if (step.op === 'update' && record !== undefined)
    return slackRequest(receiver, 'chat.update', { channel: record.channel, ts: record.ts, ...content(rendered) });
  return slackRequest(receiver, 'chat.postMessage', { channel: receiver.channel, ...content(rendered) });
}

/** The next request of an outbox message; steps whose message is gone are dropped. */
export async function nextStep(message: StoredMessage, receiver: SlackAppTarget, context: SendContext): Promise<SendStep | undefined> {
  const body = parseBody(message);
  let steps = await stepsOf(body, receiver, context);
  for (;;) {
    const [step] = steps;
    if (step === undefined) return undefined;
    const record = step.op === 'post' ? undefined : await context.store.slackMessages.find({ receiver: receiver.name, messageKey: step.messageKey });
    // A message forgotten since (deleted in Slack): nothing to update or reply to; the group's next change posts anew.
    if (step.op !== 'post' && record === undefined) {
      steps = steps.slice(1);
      continue;
    }
    const request = await requestFor(step, record, receiver, context, body.intent === 'notify' ? body.route : '');
    const posting = step.op !== 'update';
    return {
      request,
      step: JSON.stringify(steps),
      ...(posting ? { pace: { key: `chat.postMessage ${record?.channel ?? receiver.channel}`, ms: POST_PACE_MS } } : {}),
    };
  }
}

/** Once its steps are kept, a message's intent is not needed: the steps hold every alert (a body stays within one table property). */
const withoutAlerts = { alerts: [] };

function remaining(message: StoredMessage, rest: SlackStep[]): StepOutcome {
  return rest.length === 0 ? { outcome: 'done' } : { outcome: 'more', body: JSON.stringify({ ...parseBody(message), ...withoutAlerts, steps: rest }) };
}

/** Reads Slack's answer to a step, records what it changed, and says what is left. */
export async function answeredStep(
  message: StoredMessage,
  stepText: string,
  answer: HttpAnswer,
  receiver: SlackAppTarget,
  context: SendContext,
): Promise<StepOutcome> {
  const [step, ...rest] = JSON.parse(stepText) as SlackStep[];
  if (step === undefined) return { outcome: 'done' };
  const verdict = classifySlackAnswer(answer);
  const messages = context.store.slackMessages;
  if (verdict.kind !== 'ok') {
    // Someone deleted the message in Slack: forget it and show its alerts in a new one.
    if (step.op === 'update' && verdict.error === 'message_not_found') {
      const record = await messages.find({ receiver: receiver.name, messageKey: step.messageKey });
      await messages.forget({ receiver: receiver.name, messageKey: step.messageKey });
      if (record !== undefined) {
        const repost: SlackStep = {
          op: 'post',
          messageKey: `${step.messageKey}r`,
          alerts: mergeAlerts(record.alerts, step.alerts),
          route: record.route,
          groupKey: record.groupKey,
          groupBy: [...record.groupBy],
        };
        return { outcome: 'more', body: JSON.stringify({ ...parseBody(message), ...withoutAlerts, steps: [repost, ...rest] }) };
      }
    }
    // HTTP errors read as every vendor's (the answer as it came); Slack's own errors name the call.
    const http = answer.status < 200 || answer.status >= 300;
    return { outcome: verdict.kind, error: http ? verdict.error : `${stepLabel(step)}: ${verdict.error}` };
  }
  if (step.op === 'post') {
    await messages.create({
      receiver: receiver.name,
      messageKey: step.messageKey,
      route: step.route,
      groupKey: step.groupKey,
      groupBy: step.groupBy,
      channel: verdict.message.channel,
      ts: verdict.message.ts,
      postedAt: context.now.toISOString(),
      alerts: step.alerts,
    });
  } else if (step.op === 'update') {
    // Only this receiver's drain writes its records (claims serialise it); a conflict re-reads once.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const record = await messages.find({ receiver: receiver.name, messageKey: step.messageKey });
      if (record === undefined || (await messages.updateAlerts(record, mergeAlerts(record.alerts, step.alerts)))) break;
    }
  }
  return remaining(message, rest);
}

function stepLabel(step: SlackStep): string {
  return step.op === 'post' ? 'chat.postMessage' : step.op === 'update' ? 'chat.update' : 'chat.postMessage (thread reply)';
}
