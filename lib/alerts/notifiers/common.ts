/** Helpers every vendor's renderer shares (`lib/alerts/vendors/<name>/`); no vendor is named here. */
import { SEVERITIES, type Severity } from '../../model/finding.js';
import type { Alert, PlannedNotification } from '../alert.js';
import type { MessageShare } from './budget.js';

/** What the outbox stores and the drain sends (with secrets added at send time). */
export interface RenderedMessage {
  /** The vendor's name in the registry (`lib/alerts/vendors/index.ts`). */
  kind: string;
  /** What the vendor's request builder sends, without secrets (the request body for most vendors). */
  body: Record<string, unknown>;
  alertCount: number;
  /** One line for logs and listings. */
  summary: string;
}

/**
 * Every rendered body stays within this many UTF-8 bytes of JSON. Outbox rows hold the body in one
 * Azure Tables string property: at most 64 KiB, UTF-16 encoded (32K characters), and a UTF-8 byte
 * count is never below the UTF-16 unit count, so bodies within this budget always fit. Vendors with
 * a smaller limit (Teams) use their own.
 */
export const MESSAGE_BUDGET = 27_000;

export function countsBySeverity(alerts: readonly Alert[]): string {
  const counts = new Map<Severity, number>();
  for (const alert of alerts) counts.set(alert.finding.severity, (counts.get(alert.finding.severity) ?? 0) + 1);
  return SEVERITIES.filter((severity) => counts.has(severity))
    .map((severity) => `${counts.get(severity)} ${severity}`)
    .join(', ');
}

export function headline(notification: PlannedNotification): string {
  const firing = notification.alerts.filter((alert) => alert.status === 'firing').length;
  const resolved = notification.alerts.length - firing;
  const clusters = [...new Set(notification.alerts.map((alert) => alert.finding.clusterName))];
  const where = clusters.length === 1 ? clusters[0] : `${clusters.length} clusters`;
  const parts = [firing > 0 ? `${firing} firing` : undefined, resolved > 0 ? `${resolved} resolved` : undefined].filter(Boolean);
  return `${parts.join(', ')} on ${where ?? 'the fleet'}`;
}

/** Empty for a group's first message; for later ones, which alerts of how many it carries. */
export function continuedLabel(share: MessageShare, total: number): string {
  const shown = share.detailed.length + share.listed.length;
  return share.before === 0 ? '' : ` (continued: ${share.before + 1}–${share.before + shown} of ${total})`;
}

/** The closing line of a message that more of the group follows. */
export function moreFollow(after: readonly Alert[]): string {
  return `…and ${after.length} more findings (${countsBySeverity(after)}) in the next message.`;
}
