import type { SweepRecord } from '../../lib/sweep/sweepRecordStore.js';

/** A succeeded timer sweep record of two clusters in one subscription, for report tests. */
export function sweepRecord(startedAt: string, findings: number, policyCompliancePercent: number): SweepRecord {
  return {
    sweepId: startedAt,
    startedAt,
    endedAt: startedAt,
    status: 'succeeded',
    trigger: 'timer',
    subscriptions: 1,
    subscriptionsFailed: 0,
    clusters: 2,
    findings,
    opened: 0,
    resolved: 0,
    policyCompliancePercent,
    alertsQueued: 0,
    alertsSilenced: 0,
    alertsInhibited: 0,
    errors: '[]',
  };
}
