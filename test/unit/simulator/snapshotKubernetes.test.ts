import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { FleetGuardError } from '../../../lib/errors.js';
import { loadSnapshot } from '../../../tooling/simulator/snapshot.js';
import { snapshotInClusterReader } from '../../../tooling/simulator/snapshotKubernetes.js';
import { compliantCluster } from '../../harness/clusters.js';
import { projectRoot } from '../../harness/fixtures.js';

const SAMPLE = path.join(projectRoot, 'test', 'fixtures', 'fleet-sample-k8s');
const WEB_DEV = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev';
const WEB_DEV_FOLDER = path.join('kubernetes', '11111111-1111-1111-1111-111111111111', 'web', 'web-dev');

const copies: string[] = [];
afterEach(() => {
  for (const copy of copies.splice(0)) rmSync(copy, { recursive: true, force: true });
});
function copyOfSample(): string {
  const copy = mkdtempSync(path.join(tmpdir(), 'k8s-snapshot-'));
  copies.push(copy);
  cpSync(SAMPLE, copy, { recursive: true });
  return copy;
}

describe('snapshot kubernetes/ folders', () => {
  it('a malformed file stops the load, naming the file, the field and the object', () => {
    const copy = copyOfSample();
    const file = path.join(copy, WEB_DEV_FOLDER, 'pods.json');
    writeFileSync(file, JSON.stringify({ kind: 'List', items: [{ metadata: { name: 'web-1', namespace: 'frontend' }, spec: { hostNetwork: 'yes' } }] }));
    let error: unknown;
    try {
      loadSnapshot(copy);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FleetGuardError);
    expect((error as FleetGuardError).message).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: items\\[0\\]\\.spec\\.hostNetwork \\(web-1\\): `),
    );
  });

  it('folders match the ARM id case-insensitively; a missing file is unread, not fatal; no folder is a gap with its reason', async () => {
    const copy = copyOfSample();
    unlinkSync(path.join(copy, WEB_DEV_FOLDER, 'pods.json'));
    const reader = snapshotInClusterReader(loadSnapshot(copy).kubernetes!);
    const upper = compliantCluster({
      id: WEB_DEV.toUpperCase(),
      name: 'WEB-DEV',
      subscriptionId: '11111111-1111-1111-1111-111111111111',
      resourceGroup: 'WEB',
    });
    const read = await reader.read(upper);
    expect(read.state).toBe('checked');
    if (read.state === 'checked') {
      expect(Object.keys(read.lists).sort()).toEqual([
        'clusterrolebindings',
        'clusterroles',
        'namespaces',
        'networkpolicies',
        'rolebindings',
        'roles',
        'serviceaccounts',
      ]);
      expect(read.unread?.pods).toContain('pods.json is not in');
    }
    expect(await reader.read(compliantCluster())).toEqual({
      state: 'unreachable',
      reason: expect.stringContaining('kubernetes/11111111-1111-1111-1111-111111111111/rg/good/'),
    });
    expect(await reader.read(compliantCluster({ aadManaged: false }))).toMatchObject({ state: 'notEntraIntegrated' });
  });
});
