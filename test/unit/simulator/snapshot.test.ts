import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { FleetGuardError } from '../../../lib/errors.js';
import { sampleFleetDirectory } from '../../../tooling/simulator/sampleFleet.js';
import { loadSnapshot } from '../../../tooling/simulator/snapshot.js';
import { conformanceSample } from '../../harness/fixtures.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A writable copy of the conformance sample, edited by `change`. */
function brokenCopy(change: (folder: string) => void): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'snapshot-'));
  folders.push(folder);
  cpSync(conformanceSample, folder, { recursive: true });
  change(folder);
  return folder;
}

function editClusters(folder: string, edit: (doc: { value: Array<Record<string, unknown>> }) => void): void {
  const file = path.join(folder, 'managedClusters.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { value: Array<Record<string, unknown>> };
  edit(doc);
  writeFileSync(file, JSON.stringify(doc));
}

function loadError(folder: string): FleetGuardError {
  try {
    loadSnapshot(folder);
  } catch (error) {
    expect(error).toBeInstanceOf(FleetGuardError);
    expect((error as FleetGuardError).reason).toBe('badInput');
    return error as FleetGuardError;
  }
  throw new Error('expected the snapshot to be rejected');
}

describe('fleet snapshot loading', () => {
  it('loads the conformance sample and the built-in sample fleet', () => {
    const sample = loadSnapshot(conformanceSample);
    expect(sample.clusters).toHaveLength(3);
    expect([...sample.versionsByLocation.keys()]).toEqual(['northeurope']);
    expect(sample.policyStates).toBeDefined();
    expect([...sample.logs.keys()]).toEqual(['failed-api-auth']);
    expect(loadSnapshot(sampleFleetDirectory()).clusters).toHaveLength(7);
  });

  it('a missing folder names the folder', () => {
    expect(loadError('/nonexistent/fleet').message).toBe('/nonexistent/fleet: snapshot folder does not exist');
  });

  it('a missing managedClusters.json names the file', () => {
    const folder = brokenCopy((dir) => rmSync(path.join(dir, 'managedClusters.json')));
    expect(loadError(folder).message).toMatch(/managedClusters\.json: is missing/);
  });

  it('malformed JSON names the file', () => {
    const folder = brokenCopy((dir) => writeFileSync(path.join(dir, 'kubernetesVersions', 'northeurope.json'), '{"values": ['));
    expect(loadError(folder).message).toMatch(/kubernetesVersions\/northeurope\.json: is not valid JSON/);
  });

  it('a cluster without properties names the file, the index, the cluster and the field', () => {
    const folder = brokenCopy((dir) => editClusters(dir, (doc) => delete doc.value[1]!['properties']));
    expect(loadError(folder).message).toMatch(/managedClusters\.json: value\[1\]\.properties \(cluster web-dev\): is required/);
  });

  it('a wrongly typed field is named', () => {
    const folder = brokenCopy((dir) =>
      editClusters(dir, (doc) => ((doc.value[0]!['properties'] as Record<string, unknown>)['agentPoolProfiles'] = 'three pools')),
    );
    expect(loadError(folder).message).toMatch(/value\[0\]\.properties\.agentPoolProfiles \(cluster payments-prod\)/);
  });

  it('support plans of clusters and minors are type-checked and named', () => {
    const cluster = brokenCopy((dir) =>
      editClusters(dir, (doc) => ((doc.value[0]!['properties'] as Record<string, unknown>)['supportPlan'] = ['AKSLongTermSupport'])),
    );
    expect(loadError(cluster).message).toMatch(/value\[0\]\.properties\.supportPlan \(cluster payments-prod\)/);
    const versions = brokenCopy((dir) =>
      writeFileSync(
        path.join(dir, 'kubernetesVersions', 'northeurope.json'),
        JSON.stringify({ values: [{ version: '1.30', capabilities: { supportPlan: 'AKSLongTermSupport' } }] }),
      ),
    );
    expect(loadError(versions).message).toMatch(/northeurope\.json: values\[0\]\.capabilities\.supportPlan/);
  });

  it('an unknown location names the cluster and the missing versions file', () => {
    const folder = brokenCopy((dir) => editClusters(dir, (doc) => (doc.value[2]!['location'] = 'Mars Central')));
    expect(loadError(folder).message).toMatch(
      /value\[2\] \(cluster batch-staging\) is in location 'Mars Central', but kubernetesVersions\/marscentral\.json is missing/,
    );
  });

  it('a cluster id that is not a managed cluster id is rejected', () => {
    const folder = brokenCopy((dir) => editClusters(dir, (doc) => (doc.value[0]!['id'] = '/subscriptions/x/resourceGroups/y')));
    expect(loadError(folder).message).toMatch(/value\[0\]\.id \(cluster payments-prod\): must be a managedClusters resource id/);
  });

  it('a duplicate cluster is rejected', () => {
    const folder = brokenCopy((dir) => editClusters(dir, (doc) => doc.value.push({ ...doc.value[0]!, id: String(doc.value[0]!['id']).toUpperCase() })));
    expect(loadError(folder).message).toMatch(/appears twice/);
  });

  it('a malformed optional file is still an error, named', () => {
    const folder = brokenCopy((dir) => writeFileSync(path.join(dir, 'logs', 'failed-api-auth.json'), '{"tables": "none"}'));
    expect(loadError(folder).message).toMatch(/logs\/failed-api-auth\.json: tables/);
  });
});
