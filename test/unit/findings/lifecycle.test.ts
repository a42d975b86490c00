import { describe, expect, it } from 'vitest';

import { nextFindingState, planReconcile, type StoredFinding, type SweepScope } from '../../../lib/findings/lifecycle.js';
import { type Finding, findingFingerprint } from '../../../lib/model/finding.js';

const CLUSTER = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a';
const OTHER = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/b';

function finding(ruleId: string, resourceId = CLUSTER): Finding {
  return {
    ruleId,
    resourceId,
    subscriptionId: 's1',
    clusterName: resourceId.split('/').at(-1) ?? '',
    severity: 'high',
    title: `${ruleId} title`,
    detail: `${ruleId} detail`,
    practice: 'p',
    docUrl: 'https://learn.microsoft.com/x',
    subject: undefined,
    fingerprint: findingFingerprint(ruleId, resourceId, undefined),
    clusterTags: { ring: '0' },
  };
}

function scope(observedAt: string, coverage: Record<string, string[]>): SweepScope {
  return {
    subscriptionId: 's1',
    sweepId: `sweep-${observedAt}`,
    observedAt,
    coverage: new Map(Object.entries(coverage).map(([id, rules]) => [id.toLowerCase(), new Set(rules)])),
    listingComplete: true,
  };
}

const T1 = '2026-11-20T10:00:00.000Z';
const T2 = '2026-11-20T10:15:00.000Z';
const T3 = '2026-11-20T10:30:00.000Z';

function stored(ruleId: string, status: 'open' | 'resolved', observedAt = T1, resourceId = CLUSTER): StoredFinding {
  const change = nextFindingState(undefined, finding(ruleId, resourceId), scope(observedAt, {}));
  const next = change!.next;
  return status === 'open' ? next : { ...next, status: 'resolved', resolvedAt: observedAt, resolution: 'notObserved' };
}

describe('finding lifecycle', () => {
  it('a new observation opens a finding with firstSeen = lastSeen = sweep start', () => {
    const change = nextFindingState(undefined, finding('AKS-ENTRA'), scope(T1, { [CLUSTER]: ['AKS-ENTRA'] }));
    expect(change?.kind).toBe('opened');
    expect(change?.next).toMatchObject({ status: 'open', firstSeen: T1, lastSeen: T1, timesOpened: 1, observedAt: T1 });
  });

  it('seen again: stays open, keeps firstSeen, moves lastSeen, takes the new detail', () => {
    const observed = { ...finding('AKS-ENTRA'), detail: 'new detail' };
    const change = nextFindingState(stored('AKS-ENTRA', 'open'), observed, scope(T2, { [CLUSTER]: ['AKS-ENTRA'] }));
    expect(change?.kind).toBe('updated');
    expect(change?.next).toMatchObject({ status: 'open', firstSeen: T1, lastSeen: T2, detail: 'new detail' });
  });

  it('not seen in a sweep that evaluated the rule on the cluster: resolved', () => {
    const change = nextFindingState(stored('AKS-ENTRA', 'open'), undefined, scope(T2, { [CLUSTER]: ['AKS-ENTRA'] }));
    expect(change?.kind).toBe('resolved');
    expect(change?.next).toMatchObject({ status: 'resolved', resolvedAt: T2, resolution: 'notObserved', lastSeen: T1 });
  });

  it('not seen but the rule was not evaluated (its input failed): stays open, nothing written', () => {
    expect(nextFindingState(stored('AKS-VERSION-ENDING', 'open'), undefined, scope(T2, { [CLUSTER]: ['AKS-ENTRA'] }))).toBeUndefined();
  });

  it('cluster absent from a complete listing of its subscription: resolved as gone', () => {
    const change = nextFindingState(stored('AKS-ENTRA', 'open'), undefined, scope(T2, { [OTHER]: ['AKS-ENTRA'] }));
    expect(change?.next).toMatchObject({ status: 'resolved', resolution: 'clusterGone' });
  });

  it('a listing that returned an unreadable cluster does not resolve anything as gone', () => {
    const incomplete = { ...scope(T2, { [OTHER]: ['AKS-ENTRA'] }), listingComplete: false };
    expect(nextFindingState(stored('AKS-ENTRA', 'open'), undefined, incomplete)).toBeUndefined();
    // Clusters that were read are still reconciled as usual.
    expect(nextFindingState(stored('AKS-ENTRA', 'open', T1, OTHER), undefined, incomplete)?.kind).toBe('resolved');
  });

  it('cluster ids match case-insensitively', () => {
    const change = nextFindingState(stored('AKS-ENTRA', 'open'), undefined, scope(T2, { [CLUSTER.toUpperCase()]: ['AKS-ENTRA'] }));
    expect(change?.next.resolution).toBe('notObserved');
  });

  it('a resolved finding seen again reopens, keeping firstSeen and counting the reopen', () => {
    const change = nextFindingState(stored('AKS-ENTRA', 'resolved'), finding('AKS-ENTRA'), scope(T3, { [CLUSTER]: ['AKS-ENTRA'] }));
    expect(change?.kind).toBe('reopened');
    expect(change?.next).toMatchObject({ status: 'open', firstSeen: T1, lastSeen: T3, timesOpened: 2, resolvedAt: undefined, resolution: undefined });
  });

  it('an older sweep never overwrites what a newer sweep wrote', () => {
    const newer = stored('AKS-ENTRA', 'open', T3);
    expect(nextFindingState(newer, undefined, scope(T2, { [CLUSTER]: ['AKS-ENTRA'] }))).toBeUndefined();
    expect(nextFindingState(newer, finding('AKS-ENTRA'), scope(T2, { [CLUSTER]: ['AKS-ENTRA'] }))).toBeUndefined();
  });

  it('plans every change of one subscription in one pass', () => {
    const existing = [stored('AKS-ENTRA', 'open'), stored('AKS-DEFENDER', 'open'), stored('AKS-K8S-RBAC', 'resolved')];
    const observed = [finding('AKS-ENTRA'), finding('AKS-LOCAL-ACCOUNTS'), finding('AKS-K8S-RBAC')];
    const changes = planReconcile(existing, observed, scope(T2, { [CLUSTER]: ['AKS-ENTRA', 'AKS-DEFENDER', 'AKS-K8S-RBAC', 'AKS-LOCAL-ACCOUNTS'] }));
    expect(Object.fromEntries(changes.map((change) => [change.next.ruleId, change.kind]))).toEqual({
      'AKS-ENTRA': 'updated',
      'AKS-DEFENDER': 'resolved',
      'AKS-K8S-RBAC': 'reopened',
      'AKS-LOCAL-ACCOUNTS': 'opened',
    });
  });
});
