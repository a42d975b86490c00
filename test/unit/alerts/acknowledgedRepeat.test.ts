/** The planner and acknowledgements (lib/alerts/acknowledged.ts): no repeat of an acknowledged finding on repeatInterval. */
import { describe, expect, it } from 'vitest';

import type { NotificationLogEntry } from '../../../lib/alerts/alert.js';
import { parseAlertingDocument } from '../../../lib/alerts/alertingConfig.js';
import type { Acknowledgement } from '../../../lib/alerts/interactionContract.js';
import { logKey, type PlanInput, planNotifications } from '../../../lib/alerts/planner.js';
import { firing, resolved, ROUTES_YAML, SECRETS } from '../../harness/alerts.js';

// The default repeatInterval is 4h: the last page went out 5 hours before NOW, so a repeat is due.
const NOW = new Date('2026-11-20T15:00:00.000Z');
const NOTIFIED = '2026-11-20T10:00:00.000Z';
const { routes } = parseAlertingDocument(ROUTES_YAML, 'x', SECRETS);
const alert = firing({ severity: 'high' });
const fingerprint = alert.finding.fingerprint;

function plan(overrides: Partial<PlanInput>) {
  const log = new Map<string, NotificationLogEntry>([
    [logKey('pager', fingerprint), { receiver: 'pager', fingerprint, state: 'firing', lastNotifiedAt: NOTIFIED }],
    [logKey('slack', fingerprint), { receiver: 'slack', fingerprint, state: 'firing', lastNotifiedAt: NOTIFIED }],
  ]);
  return planNotifications({ alerts: [alert], routes, silences: [], inhibitedClusters: new Set(), log, now: NOW, ...overrides });
}

function ack(state: Acknowledgement['state'], at = '2026-11-20T10:30:00.000Z'): ReadonlyMap<string, Acknowledgement> {
  return new Map([
    [
      fingerprint,
      { fingerprint, state, by: 'Tenex Engineer', byId: 'PLH1HKV', source: 'pagerduty', at, incidentUrl: 'https://acme.pagerduty.com/incidents/PGR0VU2' },
    ],
  ]);
}

const receivers = (result: ReturnType<typeof plan>) => result.notifications.map((notification) => notification.receiver).sort();

describe('acknowledged findings and repeatInterval', () => {
  it('repeats an unacknowledged finding once repeatInterval has passed (the baseline)', () => {
    expect(receivers(plan({}))).toEqual(['pager', 'slack']);
  });

  it('does not repeat an acknowledged finding to any receiver', () => {
    const result = plan({ acknowledgements: ack('acknowledged') });
    expect(result.notifications).toEqual([]);
    expect(result.logUpdates).toEqual([]);
  });

  it('repeats again once unacknowledged or resolved in PagerDuty', () => {
    expect(receivers(plan({ acknowledgements: ack('unacknowledged') }))).toEqual(['pager', 'slack']);
    expect(receivers(plan({ acknowledgements: ack('resolved') }))).toEqual(['pager', 'slack']);
  });

  it('an acknowledgement from before the finding reopened holds nothing back', () => {
    const reopened = firing({
      severity: 'high',
      timesOpened: 2,
      history: [
        { kind: 'opened', at: '2026-11-20T08:00:00.000Z', sweepId: 's0' },
        { kind: 'resolved', at: '2026-11-20T11:00:00.000Z', sweepId: 's1', resolution: 'notObserved' },
        { kind: 'reopened', at: '2026-11-20T12:00:00.000Z', sweepId: 's2' },
      ],
    });
    expect(receivers(plan({ alerts: [reopened], acknowledgements: ack('acknowledged', '2026-11-20T10:30:00.000Z') }))).toEqual(['pager', 'slack']);
    expect(receivers(plan({ alerts: [reopened], acknowledgements: ack('acknowledged', '2026-11-20T12:30:00.000Z') }))).toEqual([]);
  });

  it('holds back repeats only: a first notification and a resolve still go out', () => {
    expect(receivers(plan({ log: new Map(), acknowledgements: ack('acknowledged') }))).toEqual(['pager', 'slack']);
    expect(receivers(plan({ alerts: [resolved({ severity: 'high' })], acknowledgements: ack('acknowledged') }))).toEqual(['pager', 'slack']);
  });
});
