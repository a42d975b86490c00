import type { StoredFinding } from '../findings/lifecycle.js';

/** A finding as the alert pipeline sees it: firing (open) or resolved. */
export interface Alert {
  status: 'firing' | 'resolved';
  finding: StoredFinding;
}

/** Matches findings to suppress; every given matcher must hold. */
export interface SilenceMatchers {
  ruleId?: string;
  /** Cluster name or ARM id (case-insensitive). */
  cluster?: string;
  /** Subscription id (case-insensitive): a route grouping by subscription silences a whole subscription's group. */
  subscription?: string;
  /** Exactly this severity: a route grouping by severity. */
  severity?: string;
  tags?: Record<string, string>;
}

export interface Silence {
  id: string;
  matchers: SilenceMatchers;
  startsAt: string;
  endsAt: string;
  /** Display name of who created it; `createdByObjectId`/`createdByAppId` say who it was (auth/principal.ts). */
  createdBy: string;
  createdByObjectId?: string;
  createdByAppId?: string;
  /** The Slack user id, when it was created with a button on a Slack message. */
  createdBySlackUserId?: string;
  comment: string;
  /** Who ended it before its time (`silence expire`, `DELETE /api/silences/{id}`), when someone did. */
  expiredBy?: string;
}

/** What was last notified for one finding to one receiver (the Alertmanager "nflog"). */
export interface NotificationLogEntry {
  receiver: string;
  fingerprint: string;
  state: 'firing' | 'resolved';
  lastNotifiedAt: string;
}

export interface PlannedNotification {
  route: string;
  receiver: string;
  /** Alerts that share the route's `groupBy` values, firing first. */
  groupKey: string;
  alerts: Alert[];
  /** The route's `groupBy` fields (the Slack app's buttons silence the group by them). */
  groupBy?: readonly string[];
}
