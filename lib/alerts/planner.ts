/**
 * The alert pipeline as one pure step, in Alertmanager's order: route → inhibit → silence → group →
 * dedup. Dedup reads the notification log: a firing alert goes out when the receiver has not been
 * told it is firing, or `repeatInterval` has passed; a resolved alert goes out only when the
 * receiver was told it was firing. Silences and inhibitions hold back firing alerts only, so a
 * resolve is never lost. A route muted by its time intervals sends nothing (as Alertmanager) and
 * logs nothing; the resolves it holds back come back in `held`, to be planned again.
 */
import { resourceKey } from '../model/cluster.js';
import { severityRank } from '../model/finding.js';
import { holdsRepeat } from './acknowledged.js';
import type { Alert, NotificationLogEntry, PlannedNotification, Silence } from './alert.js';
import type { AlertRoute } from './alertingConfig.js';
import type { Acknowledgement } from './interactionContract.js';
import { groupKeyOf, matchRoutes, silenceActive, silenceMatches } from './routing.js';
import { intervalContains, type TimeIntervalEntry } from './timeIntervals.js';

export interface PlanInput {
  alerts: readonly Alert[];
  routes: readonly AlertRoute[];
  silences: readonly Silence[];
  /** Cluster keys whose per-finding alerts are held back (an upgrade is in progress). */
  inhibitedClusters: ReadonlySet<string>;
  /** By `${receiver}|${fingerprint}`. */
  log: ReadonlyMap<string, NotificationLogEntry>;
  now: Date;
  /** Named time intervals for routes' `muteTimeIntervals`/`activeTimeIntervals` (none: never muted). */
  timeIntervals?: ReadonlyMap<string, readonly TimeIntervalEntry[]>;
  /** By fingerprint: an acknowledged finding is not repeated on `repeatInterval` (acknowledged.ts). */
  acknowledgements?: ReadonlyMap<string, Acknowledgement>;
}

/** A resolve a muted route held back: the receiver was told `firing` and must still hear it ended. */
export interface HeldResolve {
  route: string;
  alert: Alert;
}

export interface Plan {
  notifications: PlannedNotification[];
  logUpdates: NotificationLogEntry[];
  silenced: Alert[];
  inhibited: Alert[];
  /** Resolves held back by a route's time intervals, to plan again once the mute ends (`AlertPipeline.releaseHeld`). */
  held: HeldResolve[];
}

/**
 * As Alertmanager: a route is muted while `now` is in any of its mute intervals or, when it names
 * active intervals, outside all of them. A muted route sends nothing, firing or resolved.
 */
export function routeMuted(route: AlertRoute, intervals: ReadonlyMap<string, readonly TimeIntervalEntry[]> | undefined, now: Date): boolean {
  const contains = (name: string) => intervalContains(intervals?.get(name) ?? [], now);
  return route.muteTimeIntervals.some(contains) || (route.activeTimeIntervals.length > 0 && !route.activeTimeIntervals.some(contains));
}

/** The order of alerts in a message: firing first, worst first, then by rule. */
export function alertOrder(left: Alert, right: Alert): number {
  return (
    (left.status === right.status ? 0 : left.status === 'firing' ? -1 : 1) ||
    severityRank(right.finding.severity) - severityRank(left.finding.severity) ||
    left.finding.ruleId.localeCompare(right.finding.ruleId)
  );
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
  const held: HeldResolve[] = [];
  const muted = new Map<string, boolean>();

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
      const isMuted = muted.get(route.name) ?? routeMuted(route, input.timeIntervals, input.now);
      muted.set(route.name, isMuted);
      // Muted: nothing sent and nothing logged, so a firing alert goes out at the first sweep after
      // the mute (open findings come every sweep); a resolve is kept to plan again (`held`).
      if (isMuted) {
        if (alert.status === 'resolved' && previous?.state === 'firing' && route.sendResolved) held.push({ route: route.name, alert });
        continue;
      }
      if (alert.status === 'firing') {
        const due = previous === undefined || previous.state !== 'firing' || now - Date.parse(previous.lastNotifiedAt) >= route.repeatInterval;
        if (!due) continue;
        if (previous?.state === 'firing' && holdsRepeat(input.acknowledgements?.get(alert.finding.fingerprint), alert.finding)) continue;
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
  const notifications = [...groups.values()].map((group) => ({ ...group, alerts: group.alerts.sort(alertOrder) }));
  return { notifications, logUpdates: [...logUpdates.values()], silenced, inhibited, held };
}
