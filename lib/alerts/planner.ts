/**
 * The alert pipeline as one pure step, in Alertmanager's order: route → inhibit → silence → group →
 * dedup. Dedup reads the notification log: a firing alert goes out when the receiver has not been
 * told it is firing, or `repeatInterval` has passed; a resolved alert goes out only when the
 * receiver was told it was firing. Silences and inhibitions hold back firing alerts only, so a
 * resolve is never lost.
 */
import { resourceKey } from '../model/cluster.js';
import { severityRank } from '../model/finding.js';
import type { Alert, NotificationLogEntry, PlannedNotification, Silence } from './alert.js';
import type { AlertRoute } from './alertingConfig.js';
import { groupKeyOf, matchRoutes, silenceActive, silenceMatches } from './routing.js';

export interface PlanInput {
  alerts: readonly Alert[];
  routes: readonly AlertRoute[];
  silences: readonly Silence[];
  /** Cluster keys whose per-finding alerts are held back (an upgrade is in progress). */
  inhibitedClusters: ReadonlySet<string>;
  /** By `${receiver}|${fingerprint}`. */
  log: ReadonlyMap<string, NotificationLogEntry>;
  now: Date;
}

export interface Plan {
  notifications: PlannedNotification[];
  logUpdates: NotificationLogEntry[];
  silenced: Alert[];
  inhibited: Alert[];
}

export function logKey(receiver: string, fingerprint: string): string {
  return `${receiver}|${fingerprint}`;
}

export function planNotifications(input: PlanInput): Plan {
  const now = input.now.getTime();
  const active = input.silences.filter((silence) => silenceActive(silence, input.now));
  const groups = new Map<string, PlannedNotification>();
  const logUpdates = new Map<string, NotificationLogEntry>();
  const silenced: Alert[] = [];
  const inhibited: Alert[] = [];

  for (const alert of input.alerts) {
    if (alert.status === 'firing') {
      if (input.inhibitedClusters.has(resourceKey(alert.finding.resourceId))) {
        inhibited.push(alert);
        continue;
      }
      if (active.some((silence) => silenceMatches(silence, alert.finding))) {
        silenced.push(alert);
        continue;
      }
    }
    for (const route of matchRoutes(input.routes, alert.finding)) {
      const key = logKey(route.receiver, alert.finding.fingerprint);
      const previous = logUpdates.get(key) ?? input.log.get(key);
      if (alert.status === 'firing') {
        const due = previous === undefined || previous.state !== 'firing' || now - Date.parse(previous.lastNotifiedAt) >= route.repeatInterval;
        if (!due) continue;
      } else if (previous?.state !== 'firing' || !route.sendResolved) {
        continue;
      }
      const groupId = `${route.name}|${groupKeyOf(route, alert.finding)}`;
      const group = groups.get(groupId) ?? {
        route: route.name,
        receiver: route.receiver,
        groupKey: groupKeyOf(route, alert.finding),
        alerts: [],
        groupBy: route.groupBy,
      };
      group.alerts.push(alert);
      groups.set(groupId, group);
      logUpdates.set(key, { receiver: route.receiver, fingerprint: alert.finding.fingerprint, state: alert.status, lastNotifiedAt: input.now.toISOString() });
    }
  }
  const notifications = [...groups.values()].map((group) => ({
    ...group,
    alerts: group.alerts.sort(
      (left, right) =>
        (left.status === right.status ? 0 : left.status === 'firing' ? -1 : 1) ||
        severityRank(right.finding.severity) - severityRank(left.finding.severity) ||
        left.finding.ruleId.localeCompare(right.finding.ruleId),
    ),
  }));
  return { notifications, logUpdates: [...logUpdates.values()], silenced, inhibited };
}
