import { SEVERITIES, type Severity } from '../../model/finding.js';
import type { Alert, PlannedNotification } from '../alert.js';

/** What the outbox stores and the drain sends (with secrets added at send time). */
export interface RenderedMessage {
  kind: 'slack' | 'teams' | 'pagerduty' | 'webhook';
  /** The request body, without secrets. */
  body: Record<string, unknown>;
  alertCount: number;
  /** One line for logs and listings. */
  summary: string;
}

/**
 * Outbox rows hold at most 64 KiB per property; rendered bodies stay under this many characters
 * (also inside Teams' 28 KB card limit).
 */
export const MESSAGE_BUDGET = 27_000;

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

export function countsBySeverity(alerts: readonly Alert[]): string {
  const counts = new Map<Severity, number>();
  for (const alert of alerts) counts.set(alert.finding.severity, (counts.get(alert.finding.severity) ?? 0) + 1);
  return SEVERITIES.filter((severity) => counts.has(severity)).map((severity) => `${counts.get(severity)} ${severity}`).join(', ');
}

export function headline(notification: PlannedNotification): string {
  const firing = notification.alerts.filter((alert) => alert.status === 'firing').length;
  const resolved = notification.alerts.length - firing;
  const clusters = [...new Set(notification.alerts.map((alert) => alert.finding.clusterName))];
  const where = clusters.length === 1 ? clusters[0] : `${clusters.length} clusters`;
  const parts = [firing > 0 ? `${firing} firing` : undefined, resolved > 0 ? `${resolved} resolved` : undefined].filter(Boolean);
  return `${parts.join(', ')} on ${where ?? 'the fleet'}`;
}

/** Renders as many alerts as fit `budget` characters (binary search); the caller summarises the rest. */
export function fitting<T>(alerts: readonly Alert[], render: (shown: readonly Alert[], hidden: readonly Alert[]) => T, budget = MESSAGE_BUDGET, maxShown = alerts.length): T {
  const build = (count: number): T => render(alerts.slice(0, count), alerts.slice(count));
  const fits = (body: T): boolean => JSON.stringify(body).length <= budget;
  const all = Math.min(alerts.length, maxShown);
  const full = build(all);
  if (fits(full)) return full;
  let low = 0;
  let high = all - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(build(middle))) low = middle;
    else high = middle - 1;
  }
  return build(low);
}
