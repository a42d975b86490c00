/**
 * Slack incoming webhook, Block Kit. Limits respected (docs.slack.dev/reference/block-kit): at most
 * 50 blocks, header text ≤ 150 characters, section text ≤ 3,000, ≤ 10 fields of ≤ 2,000. A large
 * group becomes several messages (the first shows alerts in full, the rest list one line per
 * alert), so every alert reaches the channel and none is refused for its size.
 *
 * Fleet data (names, finding text, detection evidence) goes through `slackText` (../markup/slackText.ts):
 * no link, mention or formatting from data survives, and every mrkdwn object is `verbatim`. The
 * only links are our guidance links, checked by `guidanceUrl`.
 */
import type { Alert, PlannedNotification } from '../../alert.js';
import { jsonBytes, type MessageShare, packAlerts, perAlert, truncate } from '../../notifiers/budget.js';
import { continuedLabel, countsBySeverity, headline, MESSAGE_BUDGET, moreFollow, type RenderedMessage } from '../../notifiers/common.js';
import { guidanceUrl } from '../markup/docLinks.js';
import { fleetText } from '../markup/fleetText.js';
import { mrkdwn, slackLink, slackText } from '../markup/slackText.js';

/**
 * `blocksText`: Slack also refuses a message whose blocks hold too much text in all
 * (`msg_blocks_too_long`), a cumulative limit it does not document: "12,000 text characters with a
 * buffer for block containers" (Slack's answer in slackapi/bolt-js#2509), and a message of 11,341
 * such characters was refused (slackapi/bolt-js#2867). We stay at 10,000.
 */
export const SLACK_LIMITS = { blocks: 50, headerText: 150, sectionText: 3000, fields: 10, fieldText: 2000, fallbackText: 3000, blocksText: 10_000 } as const;

const ICON: Record<string, string> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  medium: ':large_yellow_circle:',
  low: ':white_circle:',
  info: ':information_source:',
};
/** Alerts shown in full; more are listed one line each (a wall of full findings reads worse). */
const MAX_DETAILED = 10;

function marker(alert: Alert): string {
  return alert.status === 'resolved' ? ':white_check_mark: *Resolved*' : `${ICON[alert.finding.severity] ?? ''} *${alert.finding.severity.toUpperCase()}*`;
}

/** Rule and cluster, each cut short, so the line's budget goes to the title. */
function subject(alert: Alert): string {
  return `\`${slackText(alert.finding.ruleId, 100)}\` on *${slackText(alert.finding.clusterName, 100)}*`;
}

/**
 * The guidance link is budgeted first: whatever the text, it survives. A `docUrl` that is not one
 * of our guidance links is shown as text, neutralised like any fleet data.
 */
function guidance(alert: Alert, label: string): string {
  const url = guidanceUrl(alert.finding.docUrl);
  return url === undefined ? `${label}: ${slackText(alert.finding.docUrl, 200)}` : slackLink(url, label);
}

function alertSection(alert: Alert): Record<string, unknown> {
  const link = `\n${guidance(alert, 'Microsoft guidance')}`;
  const head = `${marker(alert)} ${subject(alert)}: `;
  const title = slackText(alert.finding.title, Math.min(600, SLACK_LIMITS.sectionText - head.length - link.length - 1));
  const detail = slackText(alert.finding.detail, Math.min(700, SLACK_LIMITS.sectionText - head.length - title.length - link.length - 1));
  return { type: 'section', text: mrkdwn(`${head}${title}\n${detail}${link}`) };
}

function alertLine(alert: Alert): string {
  return `${marker(alert)} ${subject(alert)}: ${slackText(alert.finding.title, 150)} · ${guidance(alert, 'guidance')}`;
}

/** Lines joined into as few sections as the section limit allows (the Slack app's renderer uses it too). */
export function listSections(lines: readonly string[]): Record<string, unknown>[] {
  const sections: string[] = [];
  for (const line of lines) {
    const last = sections.at(-1);
    if (last !== undefined && last.length + 1 + line.length <= SLACK_LIMITS.sectionText) sections[sections.length - 1] = `${last}\n${line}`;
    else sections.push(line);
  }
  return sections.map((text) => ({ type: 'section', text: mrkdwn(text) }));
}

/** Characters of every `text` in the blocks (section, field, header and context texts). */
export function blocksTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + blocksTextLength(item), 0);
  if (value === null || typeof value !== 'object') return 0;
  return Object.entries(value).reduce((sum, [key, item]) => sum + (key === 'text' && typeof item === 'string' ? item.length : blocksTextLength(item)), 0);
}

export function renderSlack(notification: PlannedNotification): RenderedMessage[] {
  const first = notification.alerts[0]?.finding;
  const total = notification.alerts.length;
  const title = headline(notification);
  const sectionOf = perAlert(alertSection);
  const lineOf = perAlert(alertLine);

  const render = (share: MessageShare): Record<string, unknown> => {
    const part = continuedLabel(share, total);
    const blocks: Record<string, unknown>[] = [
      {
        type: 'header',
        text: { type: 'plain_text', text: `${truncate(`aks-fleet-guard: ${fleetText(title)}`, SLACK_LIMITS.headerText - part.length)}${part}`, emoji: true },
      },
    ];
    if (share.before === 0) {
      blocks.push({
        type: 'section',
        fields: [
          mrkdwn(`*Route*\n${slackText(notification.route, 200)}`),
          mrkdwn(`*Findings*\n${countsBySeverity(notification.alerts)}`),
          ...(first ? [mrkdwn(`*Subscription*\n${slackText(first.subscriptionId, 200)}`)] : []),
        ],
      });
    }
    blocks.push({ type: 'divider' }, ...share.detailed.map(sectionOf), ...listSections(share.listed.map(lineOf)));
    if (share.after.length > 0) {
      blocks.push({ type: 'context', elements: [mrkdwn(moreFollow(share.after))] });
    }
    // The fallback `text` (notifications) is mrkdwn too; the headline names the cluster, so it is neutralised like the blocks.
    return { text: `aks-fleet-guard: ${slackText(title, SLACK_LIMITS.fallbackText - part.length - 17)}${part}`, blocks };
  };
  const fits = (body: Record<string, unknown>) => {
    const blocks = body['blocks'] as unknown[];
    return blocks.length <= SLACK_LIMITS.blocks && blocksTextLength(blocks) <= SLACK_LIMITS.blocksText && jsonBytes(body) <= MESSAGE_BUDGET;
  };
  return packAlerts(notification.alerts, { render, fits, maxDetailed: MAX_DETAILED }).map(({ body, alerts }) => ({
    kind: 'slack',
    body,
    alertCount: alerts.length,
    summary: alerts.length === total ? title : `${title} (${alerts.length} of ${total})`,
  }));
}
