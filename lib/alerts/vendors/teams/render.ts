/**
 * Microsoft Teams through a Workflows (Power Automate) webhook: a message with one Adaptive Card
 * (schema 1.4). Teams refuses a message over about 28 KB, counted in bytes ("Request Entity Too
 * Large"; learn.microsoft.com/connectors/teams, "Known issues and limitations"), so a large group
 * becomes several cards, each within a byte budget, and every alert is in one of them.
 *
 * Fleet data (names, finding text, detection evidence) is never put into a Markdown field
 * (TextBlock, FactSet): it goes into `TextRun`s, which Teams does not parse (../markup/adaptiveCardText.ts).
 * The only link is our guidance link, checked by `guidanceUrl`.
 */
import type { Alert, PlannedNotification } from '../../alert.js';
import { jsonBytes, type MessageShare, packAlerts, perAlert } from '../../notifiers/budget.js';
import { continuedLabel, countsBySeverity, headline, moreFollow, type RenderedMessage } from '../../notifiers/common.js';
import { dataRun, guidanceLink, ownRun, richText, type TextRun } from '../markup/adaptiveCardText.js';
import { guidanceUrl } from '../markup/docLinks.js';

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

function subject(alert: Alert): TextRun[] {
  return [dataRun(alert.finding.ruleId, 100), ownRun(' · '), dataRun(alert.finding.clusterName, 100)];
}

/** Our guidance link in a TextBlock; a `docUrl` that is not one of ours is shown as neutralised text instead. */
function guidance(alert: Alert, label: string): Record<string, unknown> {
  const url = guidanceUrl(alert.finding.docUrl);
  return url === undefined ? richText([dataRun(`${label}: ${alert.finding.docUrl}`, 200, { size: 'Small' })]) : guidanceLink(label, url);
}

function alertItems(alert: Alert): Record<string, unknown>[] {
  const finding = alert.finding;
  const strong = { weight: 'Bolder' as const, color: alert.status === 'resolved' ? 'Good' : (COLOR[finding.severity] ?? 'Default') };
  return [
    richText([ownRun(`${status(alert)} · `, strong), ...subject(alert).map((run) => ({ ...run, ...strong }))], { separator: true }),
    richText([dataRun(finding.title, 300, { size: 'Small' }), ownRun('. ', { size: 'Small' }), dataRun(finding.detail, 500, { size: 'Small' })]),
    guidance(alert, 'Microsoft guidance'),
  ];
}

/** One line per alert: the data in a stretching column, the guidance link in a column of its own. */
function alertLine(alert: Alert): Record<string, unknown> {
  const small = { size: 'Small' as const };
  const line = richText([
    ownRun(`${status(alert)} · `, small),
    ...subject(alert).map((run) => ({ ...run, ...small })),
    ownRun(': ', small),
    dataRun(alert.finding.title, 150, small),
  ]);
  return {
    type: 'ColumnSet',
    columns: [
      { type: 'Column', width: 'stretch', items: [line] },
      { type: 'Column', width: 'auto', items: [guidance(alert, 'guidance')] },
    ],
  };
}

export function renderTeams(notification: PlannedNotification): RenderedMessage[] {
  const total = notification.alerts.length;
  const title = headline(notification);
  const itemsOf = perAlert(alertItems);
  const lineOf = perAlert(alertLine);
  const heading = { size: 'Large' as const, weight: 'Bolder' as const };
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
              richText([ownRun('aks-fleet-guard: ', heading), dataRun(title, 300, heading), ...(part === '' ? [] : [ownRun(part, heading)])]),
              ...(share.before === 0
                ? [
                    richText([ownRun('Route: ', { weight: 'Bolder' }), dataRun(notification.route, 200)]),
                    richText([ownRun('Findings: ', { weight: 'Bolder' }), ownRun(countsBySeverity(notification.alerts))]),
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
