/**
 * Coverage, never silence (issue 16): a cluster whose inside could not be read this sweep
 * (unreachable, unauthorized, not Entra-integrated, a failing read, a missing resource) keeps its
 * K8S findings open; only a sweep that read the objects a rule needs may resolve that rule's
 * findings. Real sweep, real SDK clients against the simulator, findings and sweep records in Azurite.
 */
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { sweepDependencies } from '../../lib/app/clients.js';
import { type Cluster } from '../../lib/model/cluster.js';
import type { InClusterRead, InClusterReader } from '../../lib/model/inCluster.js';
import { runSweep } from '../../lib/sweep/runSweep.js';
import type { SweepResult } from '../../lib/sweep/sweepResult.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { snapshotInClusterReader } from '../../tooling/simulator/snapshotKubernetes.js';
import { projectRoot } from '../harness/fixtures.js';
import { startTestFleet, type TestFleet } from '../harness/localFleet.js';

const SAMPLE = path.join(projectRoot, 'test', 'fixtures', 'fleet-sample-k8s');

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

/** What each cluster's read does this sweep, by cluster name; unnamed clusters read the snapshot. */
type Override = (cluster: Cluster, fromSnapshot: InClusterRead) => InClusterRead | Promise<InClusterRead>;

describe('in-cluster coverage states resolve nothing (Azurite)', () => {
  it('unreachable, unauthorized, not Entra-integrated, a failing read and an unread resource keep K8S findings open; a full read resolves them', async () => {
    const snapshot = loadSnapshot(SAMPLE);
    fleet = await startTestFleet({ snapshot, withStore: true });
    const store = fleet.clients.findings!;
    const sweeps = fleet.clients.sweeps!;
    const fromSnapshot = snapshotInClusterReader(snapshot.kubernetes!);
    const overrides = new Map<string, Override>();
    const reader: InClusterReader = {
      read: async (cluster) => {
        const read = await fromSnapshot.read(cluster);
        const override = overrides.get(cluster.name);
        return override ? override(cluster, read) : read;
      },
    };
    const sweep = () => runSweep({ ...sweepDependencies(fleet!.clients), inCluster: reader }, { subscriptions: [], concurrency: 4, trigger: 'test' });
    const openK8s = async () =>
      (await store.listFindings({ status: 'open' }))
        .filter((finding) => finding.ruleId.startsWith('K8S-'))
        .map((finding) => `${finding.clusterName}:${finding.ruleId}:${finding.subject ?? ''}`)
        .sort();
    const states = async (result: SweepResult) => Object.fromEntries((await sweeps.clusters(result.sweepId)).map((row) => [row.name, row.inCluster?.state]));

    const first = await sweep();
    const opened = await openK8s();
    expect(opened).toEqual([
      'payments-prod:K8S-CLUSTER-ADMIN-BINDING:sre-admins/Group:7f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1f',
      'payments-prod:K8S-NAMESPACE-NO-PSS:reporting',
      'web-dev:K8S-BINDING-GROUP-NAME:frontend/frontend-devs/Frontend Developers',
      'web-dev:K8S-DEFAULT-SA-AUTOMOUNT:frontend',
      'web-dev:K8S-NAMESPACE-NO-PSS:frontend',
      'web-dev:K8S-PRIVILEGED-POD:frontend/ReplicaSet/web-6d8f7',
    ]);
    expect(first.stats.inCluster).toEqual({ checked: 2, unreachable: 0, unauthorized: 0, notEntraIntegrated: 1 });
    expect(await states(first)).toEqual({ 'payments-prod': 'checked', 'web-dev': 'checked', 'batch-staging': 'notEntraIntegrated' });
    expect(first.clusters.find((cluster) => cluster.name === 'batch-staging')?.inCluster?.reason).toContain(
      'kubernetes/22222222-2222-2222-2222-222222222222/batch/batch-staging/',
    );

    // The sweeps that cannot see inside: every K8S finding stays open, none is resolved.
    const gaps: Array<[string, Override, Override, Record<string, string>]> = [
      [
        'unreachable / unauthorized',
        () => ({ state: 'unreachable', reason: 'private API server, no line of sight' }),
        () => ({ state: 'unauthorized', reason: 'HTTP 403' }),
        { 'web-dev': 'unreachable', 'payments-prod': 'unauthorized' },
      ],
      [
        'not Entra-integrated',
        () => ({ state: 'notEntraIntegrated', reason: 'local accounts only' }),
        () => ({ state: 'notEntraIntegrated', reason: 'local accounts only' }),
        { 'web-dev': 'notEntraIntegrated', 'payments-prod': 'notEntraIntegrated' },
      ],
      [
        'a read that fails',
        () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
        () => Promise.reject(Object.assign(new Error('Forbidden'), { statusCode: 403 })),
        { 'web-dev': 'unreachable', 'payments-prod': 'unauthorized' },
      ],
    ];
    for (const [name, webDev, paymentsProd, expected] of gaps) {
      overrides.set('web-dev', webDev);
      overrides.set('payments-prod', paymentsProd);
      const result = await sweep();
      expect(result.stats.store?.resolved, name).toBe(0);
      expect(await openK8s(), name).toEqual(opened);
      expect(await states(result), name).toMatchObject(expected);
      expect(result.clusters.find((cluster) => cluster.name === 'web-dev')?.inCluster, name).toMatchObject({
        state: expected['web-dev'],
        reason: expect.any(String),
      });
    }

    // web-dev fixed, but its pods could not be read: the namespace rules resolve, the pod rule does not.
    overrides.delete('payments-prod');
    const labelled = (read: InClusterRead) => {
      if (read.state !== 'checked') throw new Error('web-dev has a folder');
      const namespaces = structuredClone(read.lists.namespaces!.body) as { items: Array<{ metadata: { labels: Record<string, string> } }> };
      for (const item of namespaces.items) item.metadata.labels['pod-security.kubernetes.io/enforce'] = 'baseline';
      return { ...read.lists, namespaces: { body: namespaces, source: 'test' } };
    };
    overrides.set('web-dev', (_cluster, read) => {
      const { pods: _pods, ...lists } = labelled(read);
      void _pods;
      return { state: 'checked', lists, unread: { pods: 'HTTP 500' } };
    });
    const partial = await sweep();
    expect(await openK8s()).toEqual(opened.filter((key) => key !== 'web-dev:K8S-NAMESPACE-NO-PSS:frontend'));
    expect(partial.clusters.find((cluster) => cluster.name === 'web-dev')?.inCluster).toEqual({ state: 'checked', unread: ['pods'], reason: 'pods: HTTP 500' });
    expect((await sweeps.clusters(partial.sweepId)).find((row) => row.name === 'web-dev')?.inCluster).toEqual({
      state: 'checked',
      reason: 'pods: HTTP 500; unread: pods',
    });

    // Read in full with nothing privileged left: the pod finding resolves too.
    overrides.set('web-dev', (_cluster, read) => ({
      state: 'checked',
      lists: { ...labelled(read), pods: { body: { kind: 'List', items: [] }, source: 'test' } },
    }));
    const full = await sweep();
    expect(full.stats.store).toMatchObject({ resolved: 1, reopened: 0 });
    const resolved = (await store.listFindings({ status: 'resolved' })).map((finding) => `${finding.ruleId}:${finding.resolution ?? ''}`).sort();
    expect(resolved).toEqual(['K8S-NAMESPACE-NO-PSS:notObserved', 'K8S-PRIVILEGED-POD:notObserved']);
  });
});
