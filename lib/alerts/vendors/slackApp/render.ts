/**
 * What the Slack app receiver shows. At plan time a notification becomes intents (the alerts of
 * one group, packed so each part fits one Slack message); at send time a message is rendered from
 * its record: one line per alert (firing or resolved), who silenced it until when and who
 * acknowledged it (Slack or PagerDuty), and, when the receiver verifies Slack's signing secret,
 * the buttons. Block Kit limits as the incoming-webhook renderer respects them (../slack/render.ts,
 * `SLACK_LIMITS`); fleet data through `slackText` (no link, mention or formatting survives).
 */
import { type Severity, severityRank } from '../../../model/finding.js';
import type { Alert, PlannedNotification, Silence } from '../../alert.js';
import { type Acknowledgement, encodeButtonValue, type PostedAlert, SLACK_ACTION_IDS } from '../../interactionContract.js';
import { jsonBytes, truncate } from '../../notifiers/budget.js';
import { MESSAGE_BUDGET, type RenderedMessage } from '../../notifiers/common.js';
import { silenceActive, silenceMatches } from '../../routing.js';
import { fleetText } from '../markup/fleetText.js';
import { mrkdwn, slackText } from '../markup/slackText.js';
import { blocksTextLength, listSections, SLACK_LIMITS } from '../slack/render.js';

/** What the outbox holds for a group's alerts (no secret, no Slack identity: that is resolved at send time). */
export interface NotifyIntent {
  intent: 'notify';
  route: string;
  groupKey: string;
  groupBy: string[];
  alerts: PostedAlert[];
}

/** Text a message may still gain at send time (silences, acknowledgements), kept free when packing. */
const ANNOTATION_RESERVE = 4_000;

const ICON: Record<string, string> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  medium: ':large_yellow_circle:',
  low: ':white_circle:',
  info: ':information_source:',
};

/** An alert as a message record keeps it: fleet text cut short (it is escaped when rendered). */
export function postedAlert(alert: Alert): PostedAlert {
  const { finding } = alert;
  return {
    fingerprint: finding.fingerprint,
    ruleId: truncate(finding.ruleId, 200),
    resourceId: truncate(finding.resourceId, 600),
    clusterName: truncate(finding.clusterName, 200),
    subscriptionId: truncate(finding.subscriptionId, 100),
    severity: finding.severity,
    title: truncate(finding.title, 300),
    status: alert.status,
  };
}

/** What is shown next to the alerts: the silences in force and the acknowledgements, at `now`. */
export interface Annotations {
  silences: readonly Silence[];
  acknowledgements: ReadonlyMap<string, Acknowledgement>;
  now: Date;
}

export const NO_ANNOTATIONS: Annotations = { silences: [], acknowledgements: new Map(), now: new Date(0) };

/** Minute precision, UTC: what a person reads in a channel. */
function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '?' : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The annotations of one alert (empty when none). */
function notesFor(alert: PostedAlert, notes: Annotations): string[] {
  const lines: string[] = [];
  if (alert.status === 'firing') {
    // The record has no cluster tags: silences by tag alone are not shown (they still hold alerts back).
    const finding = {
      ruleId: alert.ruleId,
      resourceId: alert.resourceId,
      clusterName: alert.clusterName,
      clusterTags: {},
      subscriptionId: alert.subscriptionId,
      severity: alert.severity as Severity,
    };
    const silence = notes.silences.find((candidate) => silenceActive(candidate, notes.now) && silenceMatches(candidate, finding));
    if (silence !== undefined) lines.push(`:zzz: silenced by ${slackText(silence.createdBy, 60)} until ${when(silence.endsAt)}`);
  }
  const ack = notes.acknowledgements.get(alert.fingerprint);
  if (ack !== undefined && ack.state !== 'unacknowledged') {
    const source = ack.source === 'pagerduty' ? 'PagerDuty' : 'Slack';
    const verb = ack.state === 'acknowledged' ? 'acknowledged' : 'resolved';
    lines.push(`:eyes: ${verb} by ${slackText(ack.by, 60)} in ${source} at ${when(ack.at)}`);
  }
  return lines;
}

function marker(alert: PostedAlert): string {
  return alert.status === 'resolved' ? ':white_check_mark: *Resolved*' : `${ICON[alert.severity] ?? ''} *${alert.severity.toUpperCase()}*`;
}

/** One alert, one line (with its annotations, when given). */
export function alertLine(alert: PostedAlert, notes: Annotations = NO_ANNOTATIONS): string {
  const line = `${marker(alert)} \`${slackText(alert.ruleId, 100)}\` on *${slackText(alert.clusterName, 100)}*: ${slackText(alert.title, 200)}`;
  return [line, ...notesFor(alert, notes).map((note) => `      ${note}`)].join('\n');
}

function headlineOf(alerts: readonly PostedAlert[]): string {
  const firing = alerts.filter((alert) => alert.status === 'firing').length;
  const resolved = alerts.length - firing;
  const clusters = [...new Set(alerts.map((alert) => alert.clusterName))];
  const where = clusters.length === 1 ? clusters[0] : `${clusters.length} clusters`;
  const state = firing === 0 ? 'all resolved' : [`${firing} firing`, resolved > 0 ? `${resolved} resolved` : undefined].filter(Boolean).join(', ');
  return `${state} on ${where ?? 'the fleet'}`;
}

function countsOf(alerts: readonly PostedAlert[]): string {
  const firing = alerts.filter((alert) => alert.status === 'firing');
  const counts = new Map<string, number>();
  for (const alert of firing) counts.set(alert.severity, (counts.get(alert.severity) ?? 0) + 1);
  const text = [...counts.entries()]
    .sort(([left], [right]) => severityRank(right as Severity) - severityRank(left as Severity))
    .map(([severity, count]) => `${count} ${severity}`)
    .join(', ');
  return text === '' ? 'none firing' : text;
}

/** The message a record shows. */
export interface MessageView {
  receiver: string;
  messageKey: string;
  route: string;
  alerts: readonly PostedAlert[];
  /** Buttons only when the receiver verifies Slack's signing secret (interactions are refused otherwise). */
  buttons: boolean;
}

/** The `text` and `blocks` of a message (chat.postMessage and chat.update take both). */
export interface SlackContent {
  text: string;
  blocks: Record<string, unknown>[];
}

function fits(content: SlackContent, reserve = 0): boolean {
  return (
    content.blocks.length <= SLACK_LIMITS.blocks &&
    blocksTextLength(content.blocks) + reserve <= SLACK_LIMITS.blocksText &&
    jsonBytes(content) + reserve <= MESSAGE_BUDGET
  );
}

function buttons(view: MessageView): Record<string, unknown> {
  const value = encodeButtonValue({ receiver: view.receiver, messageKey: view.messageKey });
  const button = (text: string, actionId: string) => ({ type: 'button', text: { type: 'plain_text', text, emoji: true }, action_id: actionId, value });
  return {
    type: 'actions',
    elements: [
      button('Silence 4h', SLACK_ACTION_IDS.silence4h),
      button('Silence 1d', SLACK_ACTION_IDS.silence1d),
      button('Acknowledge', SLACK_ACTION_IDS.acknowledge),
    ],
  };
}

function compose(view: MessageView, lines: readonly string[], footer: string | undefined): SlackContent {
  const title = headlineOf(view.alerts);
  const first = view.alerts[0];
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`aks-fleet-guard: ${fleetText(title)}`, SLACK_LIMITS.headerText), emoji: true } },
    {
      type: 'section',
      fields: [
        mrkdwn(`*Route*\n${slackText(view.route, 200)}`),
        mrkdwn(`*Firing*\n${countsOf(view.alerts)}`),
        ...(first ? [mrkdwn(`*Subscription*\n${slackText(first.subscriptionId, 200)}`)] : []),
      ],
    },
    { type: 'divider' },
    ...listSections(lines),
  ];
  if (footer !== undefined) blocks.push({ type: 'context', elements: [mrkdwn(footer)] });
  if (view.buttons && view.alerts.some((alert) => alert.status === 'firing')) blocks.push(buttons(view));
  return { text: `aks-fleet-guard: ${slackText(title, 2_900)}`, blocks };
}

/**
 * The message a record shows, with its annotations. Should they not fit (a very large group, each
 * alert silenced and acknowledged), the message counts them instead of listing each.
 */
export function renderMessage(view: MessageView, notes: Annotations): SlackContent {
  const annotated = compose(
    view,
    view.alerts.map((alert) => alertLine(alert, notes)),
    undefined,
  );
  if (fits(annotated)) return annotated;
  const noted = view.alerts.filter((alert) => notesFor(alert, notes).length > 0).length;
  return compose(
    view,
    view.alerts.map((alert) => alertLine(alert)),
    `${noted} of these findings are silenced or acknowledged.`,
  );
}

/** Whether a message of these alerts fits, leaving room for the annotations added at send time. */
export function fitsOneMessage(view: MessageView): boolean {
  return (
    fits(
      compose(
        view,
        view.alerts.map((alert) => alertLine(alert)),
        undefined,
      ),
      ANNOTATION_RESERVE,
    ) && jsonBytes(view.alerts) + ANNOTATION_RESERVE <= MESSAGE_BUDGET
  );
}

/** A thread reply: the group's alerts that are still firing (`repeat`) or new in the message (`new`). */
export function renderReply(alerts: readonly PostedAlert[], label: 'repeat' | 'new'): SlackContent {
  const heading =
    label === 'repeat'
      ? `Still firing: ${alerts.length} finding${alerts.length === 1 ? '' : 's'}`
      : `New in this group: ${alerts.length} finding${alerts.length === 1 ? '' : 's'}`;
  const lines: string[] = [];
  for (const alert of alerts) {
    const candidate = { text: heading, blocks: [{ type: 'section', text: mrkdwn(heading) }, ...listSections([...lines, alertLine(alert)])] };
    if (!fits(candidate, 200)) break;
    lines.push(alertLine(alert));
  }
  const more = alerts.length - lines.length;
  const blocks = [{ type: 'section', text: mrkdwn(`*${heading}*`) }, ...listSections(lines)];
  if (more > 0) blocks.push({ type: 'context', elements: [mrkdwn(`…and ${more} more, shown in the message above.`)] });
  return { text: heading, blocks };
}

/**
 * Plan time: a group's alerts as intents, each small enough for one Slack message (with room for
 * its annotations). Every alert is in exactly one intent.
 */
export function renderSlackAppIntents(notification: PlannedNotification): RenderedMessage[] {
  const alerts = notification.alerts.map(postedAlert);
  const parts: PostedAlert[][] = [];
  let part: PostedAlert[] = [];
  for (const alert of alerts) {
    const candidate = [...part, alert];
    if (part.length > 0 && !fitsOneMessage({ receiver: notification.receiver, messageKey: 'k', route: notification.route, alerts: candidate, buttons: true })) {
      parts.push(part);
      part = [alert];
    } else {
      part = candidate;
    }
  }
  if (part.length > 0) parts.push(part);
  return parts.map((shown) => {
    const body: NotifyIntent = {
      intent: 'notify',
      route: notification.route,
      groupKey: notification.groupKey,
      groupBy: [...(notification.groupBy ?? [])],
      alerts: shown,
    };
    const title = headlineOf(shown);
    return {
      kind: 'slackApp',
      body: body as unknown as Record<string, unknown>,
      alertCount: shown.length,
      summary: shown.length === alerts.length ? title : `${title} (${shown.length} of ${alerts.length})`,
    };
  });
}
