import { describe, expect, it } from 'vitest';

import type { NotificationLogEntry, Silence } from '../../../lib/alerts/alert.js';
import { parseAlertingDocument } from '../../../lib/alerts/alertingConfig.js';
import { logKey, type PlanInput, planNotifications } from '../../../lib/alerts/planner.js';
import { resourceKey } from '../../../lib/model/cluster.js';
import { firing, resolved, ROUTES_YAML, SECRETS } from '../../harness/alerts.js';

const NOW = new Date('2026-11-20T12:00:00.000Z');
const { routes } = parseAlertingDocument(ROUTES_YAML, 'x', SECRETS);

function plan(overrides: Partial<PlanInput>) {
  return planNotifications({ alerts: [], routes, silences: [], inhibitedClusters: new Set(), log: new Map(), now: NOW, ...overrides });
}

function logged(receiver: string, fingerprint: string, state: 'firing' | 'resolved', lastNotifiedAt: string): [string, NotificationLogEntry] {
  return [logKey(receiver, fingerprint), { receiver, fingerprint, state, lastNotifiedAt }];
}

describe('alert planning', () => {
  it('first matching route wins unless it continues; groups by the route keys', () => {
    const result = plan({
      alerts: [firing({ severity: 'high' }), firing({ ruleId: 'AKS-KEYVAULT-CSI', severity: 'low' }), firing({ cluster: 'other', severity: 'critical' })],
    });
    const byReceiver = Object.fromEntries(
      result.notifications.map((notification) => [`${notification.receiver}:${notification.groupKey}`, notification.alerts.length]),
    );
    // page (high+, grouped by cluster) continues to the Slack digest (grouped by subscription).
    expect(byReceiver).toEqual({
      [`pager:${resourceKey(firing().finding.resourceId)}`]: 1,
      [`pager:${resourceKey(firing({ cluster: 'other' }).finding.resourceId)}`]: 1,
      'slack:11111111-1111-1111-1111-111111111111': 3,
    });
    // Firing first, worst first.
    expect(result.notifications.find((notification) => notification.receiver === 'slack')?.alerts.map((alert) => alert.finding.severity)).toEqual([
      'critical',
      'high',
      'low',
    ]);
  });

  it('matches tags, rule prefixes and subscriptions', () => {
    const { routes: tagged } = parseAlertingDocument(
      `receivers: [{ name: s, type: slack, webhookUrlSetting: SLACK_URL }]\nroutes:\n  - { name: prod-logs, receiver: s, match: { tags: { ENV: PROD }, rulePrefixes: [LOG-], subscriptions: [11111111-1111-1111-1111-111111111111] } }`,
      'x',
      SECRETS,
    );
    const result = plan({
      routes: tagged,
      alerts: [
        firing({ ruleId: 'LOG-CRASHLOOP' }),
        firing({ ruleId: 'AKS-ENTRA' }),
        firing({ ruleId: 'LOG-CRASHLOOP', cluster: 'dev', clusterTags: { env: 'dev' } }),
      ],
    });
    expect(result.notifications.flatMap((notification) => notification.alerts.map((alert) => `${alert.finding.clusterName}:${alert.finding.ruleId}`))).toEqual([
      'web-dev:LOG-CRASHLOOP',
    ]);
  });

  it('de-duplicates: a firing alert already notified waits for the repeat interval', () => {
    const alert = firing();
    const recent = plan({
      alerts: [alert],
      log: new Map([
        logged('pager', alert.finding.fingerprint, 'firing', '2026-11-20T10:00:00.000Z'),
        logged('slack', alert.finding.fingerprint, 'firing', '2026-11-20T10:00:00.000Z'),
      ]),
    });
    expect(recent.notifications).toEqual([]);
    const stale = plan({ alerts: [alert], log: new Map([logged('pager', alert.finding.fingerprint, 'firing', '2026-11-20T07:59:59.000Z')]) });
    expect(stale.notifications.map((notification) => notification.receiver).sort()).toEqual(['pager', 'slack']);
    expect(stale.logUpdates.every((entry) => entry.lastNotifiedAt === NOW.toISOString() && entry.state === 'firing')).toBe(true);
  });

  it('sends a resolve only to receivers that were told it was firing, and only once', () => {
    const alert = resolved();
    expect(plan({ alerts: [alert] }).notifications).toEqual([]);
    const result = plan({ alerts: [alert], log: new Map([logged('pager', alert.finding.fingerprint, 'firing', '2026-11-20T10:00:00.000Z')]) });
    expect(result.notifications.map((notification) => [notification.receiver, notification.alerts[0]?.status])).toEqual([['pager', 'resolved']]);
    expect(plan({ alerts: [alert], log: new Map([logged('pager', alert.finding.fingerprint, 'resolved', '2026-11-20T11:00:00.000Z')]) }).notifications).toEqual(
      [],
    );
  });

  it('a reopened finding fires again at once, whatever the repeat interval', () => {
    const alert = firing();
    const result = plan({ alerts: [alert], log: new Map([logged('pager', alert.finding.fingerprint, 'resolved', '2026-11-20T11:59:00.000Z')]) });
    expect(result.notifications.map((notification) => notification.receiver)).toContain('pager');
  });

  it('silences hold back matching firing alerts while active; they are recorded, not sent', () => {
    const silence: Silence = {
      id: 's',
      matchers: { ruleId: 'aks-local-accounts', cluster: 'WEB-DEV' },
      startsAt: '2026-11-20T11:00:00.000Z',
      endsAt: '2026-11-20T13:00:00.000Z',
      createdBy: 'me',
      comment: 'ticket 42',
    };
    const result = plan({ alerts: [firing(), firing({ ruleId: 'AKS-ENTRA' })], silences: [silence] });
    expect(result.silenced.map((alert) => alert.finding.ruleId)).toEqual(['AKS-LOCAL-ACCOUNTS']);
    expect(result.notifications.flatMap((notification) => notification.alerts.map((alert) => alert.finding.ruleId))).not.toContain('AKS-LOCAL-ACCOUNTS');
    expect(plan({ alerts: [firing()], silences: [{ ...silence, endsAt: '2026-11-20T11:30:00.000Z' }] }).silenced).toEqual([]);
    expect(plan({ alerts: [firing()], silences: [{ ...silence, matchers: { tags: { env: 'prod' } } }] }).silenced).toHaveLength(1);
  });

  it('inhibits firing alerts of clusters being upgraded, but lets resolves through', () => {
    const alert = firing();
    const inhibitedClusters = new Set([resourceKey(alert.finding.resourceId)]);
    expect(plan({ alerts: [alert], inhibitedClusters }).inhibited).toHaveLength(1);
    const done = resolved();
    const result = plan({ alerts: [done], inhibitedClusters, log: new Map([logged('pager', done.finding.fingerprint, 'firing', '2026-11-20T10:00:00.000Z')]) });
    expect(result.notifications).toHaveLength(1);
  });

  it('sendResolved: false keeps resolves off that route', () => {
    const { routes: quiet } = parseAlertingDocument(
      `receivers: [{ name: s, type: slack, webhookUrlSetting: SLACK_URL }]\nroutes: [{ name: r, receiver: s, sendResolved: false }]`,
      'x',
      SECRETS,
    );
    const alert = resolved();
    expect(
      plan({ routes: quiet, alerts: [alert], log: new Map([logged('s', alert.finding.fingerprint, 'firing', '2026-11-20T10:00:00.000Z')]) }).notifications,
    ).toEqual([]);
  });
});
