/**
 * Microsoft Teams through a Workflows (Power Automate) webhook: a message with one Adaptive Card
 * (schema 1.4). Cards are limited to 28 KB, so a large group is summarised.
 */
import type { Alert, PlannedNotification } from '../alert.js';
import { countsBySeverity, fitting, headline, type RenderedMessage, truncate } from './common.js';

const COLOR: Record<string, string> = { critical: 'Attention', high: 'Attention', medium: 'Warning', low: 'Default', info: 'Default' };

function alertItems(alert: Alert): Record<string, unknown>[] {
  const finding = alert.finding;
  return [
    {
      type: 'TextBlock',
      text: `${alert.status === 'resolved' ? '✅ RESOLVED' : finding.severity.toUpperCase()} · ${finding.ruleId} · ${finding.clusterName}`,
      weight: 'Bolder',
      color: alert.status === 'resolved' ? 'Good' : (COLOR[finding.severity] ?? 'Default'),
      wrap: true,
      separator: true,
    },
    { type: 'TextBlock', text: truncate(`${finding.title}. ${finding.detail}`, 800), wrap: true, size: 'Small' },
    { type: 'TextBlock', text: `[Microsoft guidance](${finding.docUrl})`, wrap: true, size: 'Small' },
  ];
}

export function renderTeams(notification: PlannedNotification): RenderedMessage {
  const title = headline(notification);
  const body = fitting(notification.alerts, (shown, hidden) => ({
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
            { type: 'TextBlock', text: `aks-fleet-guard: ${title}`, size: 'Large', weight: 'Bolder', wrap: true },
            { type: 'FactSet', facts: [{ title: 'Route', value: notification.route }, { title: 'Findings', value: countsBySeverity(notification.alerts) }] },
            ...shown.flatMap(alertItems),
            ...(hidden.length > 0 ? [{ type: 'TextBlock', text: `…and ${hidden.length} more findings (${countsBySeverity(hidden)}).`, wrap: true, isSubtle: true }] : []),
          ],
        },
      },
    ],
  }));
  return { kind: 'teams', body, alertCount: notification.alerts.length, summary: title };
}
