/**
 * Microsoft Teams through a Workflows (Power Automate) webhook: a message with one Adaptive Card
 * (schema 1.4). Teams refuses a message over about 28 KB, counted in bytes ("Request Entity Too
 * Large"; learn.microsoft.com/connectors/teams, "Known issues and limitations"), so a large group
 * becomes several cards, each within a byte budget, and every alert is in one of them.
 */
import type { Alert, PlannedNotification } from '../../alert.js';
import { jsonBytes, type MessageShare, packAlerts, perAlert, truncate } from '../../notifiers/budget.js';
import { continuedLabel, countsBySeverity, headline, moreFollow, type RenderedMessage } from '../../notifiers/common.js';

/**
 * `maxBytes`: the limit Workflows reports ("max allowed size is 28672 bytes",
 * MicrosoftDocs/msteams-docs#11274). It counts the message properties Teams derives from the card,
 * which came to 28,897 bytes for a 24,453-byte request in that report, so our request bodies stay
 * under `budgetBytes`, leaving that overhead room.
 */
export const TEAMS_LIMITS = { maxBytes: 28_672, budgetBytes: 20_000 } as const;

const COLOR: Record<string, string> = { critical: 'Attention', high: 'Attention', medium: 'Warning', low: 'Default', info: 'Default' };
/** Alerts shown in full; more are listed one line each. */
const MAX_DETAILED = 10;

function status(alert: Alert): string {
  return alert.status === 'resolved' ? '✅ RESOLVED' : alert.finding.severity.toUpperCase();
}

function subject(alert: Alert): string {
  return `${truncate(alert.finding.ruleId, 100)} · ${truncate(alert.finding.clusterName, 100)}`;
}

function alertItems(alert: Alert): Record<string, unknown>[] {
  const finding = alert.finding;
  return [
    {
      type: 'TextBlock',
      text: `${status(alert)} · ${subject(alert)}`,
      weight: 'Bolder',
      color: alert.status === 'resolved' ? 'Good' : (COLOR[finding.severity] ?? 'Default'),
      wrap: true,
      separator: true,
    },
    { type: 'TextBlock', text: `${truncate(finding.title, 300)}. ${truncate(finding.detail, 500)}`, wrap: true, size: 'Small' },
    { type: 'TextBlock', text: `[Microsoft guidance](${finding.docUrl})`, wrap: true, size: 'Small' },
  ];
}

function alertLine(alert: Alert): Record<string, unknown> {
  return {
    type: 'TextBlock',
    text: `${status(alert)} · ${subject(alert)}: ${truncate(alert.finding.title, 150)} · [guidance](${alert.finding.docUrl})`,
    wrap: true,
    size: 'Small',
  };
}

export function renderTeams(notification: PlannedNotification): RenderedMessage[] {
  const total = notification.alerts.length;
  const title = headline(notification);
  const itemsOf = perAlert(alertItems);
  const lineOf = perAlert(alertLine);
  const render = (share: MessageShare): Record<string, unknown> => {
    const part = continuedLabel(share, total);
    return {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            msteams: { width: 'Full' },
            body: [
              { type: 'TextBlock', text: `${truncate(`aks-fleet-guard: ${title}`, 300)}${part}`, size: 'Large', weight: 'Bolder', wrap: true },
              ...(share.before === 0
                ? [
                    {
                      type: 'FactSet',
                      facts: [
                        { title: 'Route', value: truncate(notification.route, 200) },
                        { title: 'Findings', value: countsBySeverity(notification.alerts) },
                      ],
                    },
                  ]
                : []),
              ...share.detailed.flatMap(itemsOf),
              ...share.listed.map(lineOf),
              ...(share.after.length > 0 ? [{ type: 'TextBlock', text: moreFollow(share.after), wrap: true, isSubtle: true }] : []),
            ],
          },
        },
      ],
    };
  };
  const fits = (body: Record<string, unknown>) => jsonBytes(body) <= TEAMS_LIMITS.budgetBytes;
  return packAlerts(notification.alerts, { render, fits, maxDetailed: MAX_DETAILED }).map(({ body, alerts }) => ({
    kind: 'teams',
    body,
    alertCount: alerts.length,
    summary: alerts.length === total ? title : `${title} (${alerts.length} of ${total})`,
  }));
}
