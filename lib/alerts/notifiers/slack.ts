/**
 * Slack incoming webhook, Block Kit. Limits respected (docs.slack.dev/reference/block-kit): at most
 * 50 blocks, header text ≤ 150 characters, section text ≤ 3,000, ≤ 10 fields of ≤ 2,000. A large
 * group is summarised in its last block, never rejected.
 */
import type { Alert, PlannedNotification } from '../alert.js';
import { countsBySeverity, fitting, headline, type RenderedMessage, truncate } from './common.js';

export const SLACK_LIMITS = { blocks: 50, headerText: 150, sectionText: 3000, fields: 10, fieldText: 2000, fallbackText: 3000 } as const;

const ICON: Record<string, string> = { critical: ':red_circle:', high: ':large_orange_circle:', medium: ':large_yellow_circle:', low: ':white_circle:', info: ':information_source:' };

/**
 * Slack's control sequences are `<...>` (links, `<!channel>`, `<@user>`); finding text carries
 * fleet data (pod, user and cluster names from audit logs), so it is escaped the way Slack
 * documents: & < > as entities. Otherwise a crafted name could ping the channel or plant a link.
 */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function alertSection(alert: Alert): Record<string, unknown> {
  const finding = alert.finding;
  const marker = alert.status === 'resolved' ? ':white_check_mark: *Resolved*' : `${ICON[finding.severity] ?? ''} *${finding.severity.toUpperCase()}*`;
  const text = `${marker} \`${slackEscape(finding.ruleId)}\` on *${slackEscape(finding.clusterName)}*: ${slackEscape(finding.title)}\n${slackEscape(truncate(finding.detail, 700))}\n<${finding.docUrl}|Microsoft guidance>`;
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, SLACK_LIMITS.sectionText) } };
}

export function renderSlack(notification: PlannedNotification): RenderedMessage {
  const first = notification.alerts[0]?.finding;
  const title = headline(notification);
  const body = fitting(
    notification.alerts,
    (shown, hidden) => {
      const blocks: Record<string, unknown>[] = [
        { type: 'header', text: { type: 'plain_text', text: truncate(`aks-fleet-guard: ${title}`, SLACK_LIMITS.headerText), emoji: true } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: `*Route*\n${truncate(notification.route, 200)}` },
            { type: 'mrkdwn', text: `*Findings*\n${countsBySeverity(notification.alerts)}` },
            ...(first ? [{ type: 'mrkdwn', text: `*Subscription*\n${first.subscriptionId}` }] : []),
          ],
        },
        { type: 'divider' },
        ...shown.map(alertSection),
      ];
      if (hidden.length > 0) {
        blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(`…and ${hidden.length} more findings (${countsBySeverity(hidden)}). Run \`fleetguard sweep\` or open the fleet report for all of them.`, SLACK_LIMITS.sectionText) }] });
      }
      return { text: truncate(`aks-fleet-guard: ${slackEscape(title)}`, SLACK_LIMITS.fallbackText), blocks };
    },
    undefined,
    SLACK_LIMITS.blocks - 4,
  );
  return { kind: 'slack', body, alertCount: notification.alerts.length, summary: title };
}
