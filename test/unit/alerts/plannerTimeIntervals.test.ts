/**
 * Routes muted by time intervals (Alertmanager's mute_time_intervals / active_time_intervals,
 * docs/configuration.md `<route>`): a muted route sends nothing, firing or resolved, and writes
 * nothing to the notification log, so the alert goes out at the first sweep after the mute; a
 * resolve the receiver was told was firing is held to be planned again.
 */
import { describe, expect, it } from 'vitest';

import { parseAlertingDocument } from '../../../lib/alerts/alertingConfig.js';
import { logKey, type PlanInput, planNotifications } from '../../../lib/alerts/planner.js';
import { firing, RECEIVERS_YAML, resolved, SECRETS } from '../../harness/alerts.js';

const config = parseAlertingDocument(
  `${RECEIVERS_YAML}
timeIntervals:
  - name: business-hours
    timeIntervals: [{ times: [{ startTime: '09:00', endTime: '17:00' }], weekdays: ['monday:friday'], location: Europe/Berlin }]
  - name: weekends
    timeIntervals: [{ weekdays: [saturday, sunday], location: Europe/Berlin }]
routes:
  - { name: office, receiver: teams, activeTimeIntervals: [business-hours], continue: true }
  - { name: quiet-weekends, receiver: slack, muteTimeIntervals: [weekends], continue: true }
  - { name: always, receiver: pager }`,
  'x',
  SECRETS,
);

// 2026-11-20 is a Friday, 2026-11-21 a Saturday; Berlin is +01:00 in November.
const FRIDAY_OFFICE = new Date('2026-11-20T10:00:00Z');
const FRIDAY_NIGHT = new Date('2026-11-20T20:00:00Z');
const SATURDAY = new Date('2026-11-21T10:00:00Z');
const MONDAY = new Date('2026-11-23T10:00:00Z');

function plan(now: Date, overrides: Partial<PlanInput> = {}) {
  return planNotifications({
    alerts: [firing()],
    routes: config.routes,
    silences: [],
    inhibitedClusters: new Set(),
    log: new Map(),
    now,
    timeIntervals: config.timeIntervals,
    ...overrides,
  });
}

const receivers = (result: ReturnType<typeof plan>) => result.notifications.map((notification) => notification.receiver).sort();

describe('time-aware routes in the planner', () => {
  it('an active interval sends only inside it; a mute interval holds back inside it', () => {
    expect(receivers(plan(FRIDAY_OFFICE))).toEqual(['pager', 'slack', 'teams']);
    expect(receivers(plan(FRIDAY_NIGHT))).toEqual(['pager', 'slack']);
    expect(receivers(plan(SATURDAY))).toEqual(['pager']);
    expect(receivers(plan(MONDAY))).toEqual(['pager', 'slack', 'teams']);
  });

  it('writes no notification log entry for a muted route, so the alert goes out after the mute', () => {
    const saturday = plan(SATURDAY);
    expect(saturday.logUpdates.map((entry) => entry.receiver)).toEqual(['pager']);
    const log = new Map(saturday.logUpdates.map((entry) => [logKey(entry.receiver, entry.fingerprint), entry]));
    // Later on Saturday: the pager was told (repeat interval not reached), slack and teams still muted.
    expect(receivers(plan(new Date('2026-11-21T12:00:00Z'), { log }))).toEqual([]);
    // Monday's sweep: slack and teams hear it now; the pager's 4 h repeat interval has passed too.
    expect(receivers(plan(MONDAY, { log }))).toEqual(['pager', 'slack', 'teams']);
  });

  it('a muted route holds back a resolve the receiver was told was firing, and says so', () => {
    const told = plan(FRIDAY_OFFICE);
    const log = new Map(told.logUpdates.map((entry) => [logKey(entry.receiver, entry.fingerprint), entry]));
    const saturday = plan(SATURDAY, { alerts: [resolved()], log });
    expect(receivers(saturday)).toEqual(['pager']);
    expect(saturday.logUpdates.map((entry) => `${entry.receiver}:${entry.state}`)).toEqual(['pager:resolved']);
    expect(saturday.held.map((kept) => `${kept.route}:${kept.alert.status}`).sort()).toEqual(['office:resolved', 'quiet-weekends:resolved']);
    // Planned again after the mute: the resolve goes out and is logged.
    const monday = plan(MONDAY, {
      alerts: [resolved()],
      log: new Map([...log, ...saturday.logUpdates.map((entry) => [logKey(entry.receiver, entry.fingerprint), entry] as const)]),
    });
    expect(receivers(monday)).toEqual(['slack', 'teams']);
    expect(monday.held).toEqual([]);
  });

  it('holds nothing back for a resolve the receiver never heard as firing', () => {
    expect(plan(SATURDAY, { alerts: [resolved()] }).held).toEqual([]);
  });
});
