/**
 * Snapshots as people's tools write them (issue 17, "Snapshots"): encodings, the `az` CLI's own
 * layouts, versions, an empty fleet and misspelled log files, each refused or warned about in one
 * line naming the file (and the field), with the command that writes the expected layout.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DETECTION_IDS } from '../../../lib/detections/catalog.js';
import { FleetGuardError } from '../../../lib/errors.js';
import { loadSnapshot } from '../../../tooling/simulator/snapshot.js';
import { decodeSnapshotText } from '../../../tooling/simulator/snapshotFile.js';
import { conformanceSample } from '../../harness/fixtures.js';

const SUB1 = '11111111-1111-1111-1111-111111111111';

let root: string;
let clustersText: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'snapshot-input-'));
  clustersText = readFileSync(path.join(conformanceSample, 'managedClusters.json'), 'utf8');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let copies = 0;
/** A copy of the conformance sample with `file` replaced by `content` (text written as UTF-8). */
function sampleWith(file: string, content: string | Buffer): string {
  const folder = path.join(root, String((copies += 1)));
  cpSync(conformanceSample, folder, { recursive: true });
  writeFileSync(path.join(folder, file), content);
  return folder;
}

function loadError(folder: string): string {
  try {
    loadSnapshot(folder);
  } catch (error) {
    expect(error).toBeInstanceOf(FleetGuardError);
    expect((error as FleetGuardError).reason).toBe('badInput');
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
  throw new Error('expected the snapshot to be rejected');
}

function clustersDoc(): { value: Array<{ id: string; name: string; properties: Record<string, unknown> }> } {
  return JSON.parse(clustersText) as ReturnType<typeof clustersDoc>;
}

describe('snapshot file encodings', () => {
  it('reads a UTF-8 file with a byte-order mark (PowerShell Out-File -Encoding utf8)', () => {
    const folder = sampleWith('managedClusters.json', `\uFEFF${clustersText}`);
    expect(loadSnapshot(folder).clusters).toHaveLength(3);
  });

  it('names UTF-16 (both byte orders, with or without a BOM) instead of printing mojibake', () => {
    const le = Buffer.from(clustersText, 'utf16le');
    const be = Buffer.from(le).swap16();
    const file = (folder: string) => path.join(folder, 'managedClusters.json');
    for (const bytes of [Buffer.concat([Buffer.from([0xff, 0xfe]), le]), le, Buffer.concat([Buffer.from([0xfe, 0xff]), be]), be]) {
      const folder = sampleWith('managedClusters.json', bytes);
      expect(loadError(folder)).toMatch(new RegExp(`^${file(folder)}: UTF-16 text \\((little|big)-endian.*; save it as UTF-8$`));
    }
    expect(() => decodeSnapshotText(be, 'x.json')).toThrow('big-endian');
  });

  it('names binary junk and other encodings as not text', () => {
    const junk = sampleWith('policyStates.json', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x8d, 0x92]));
    expect(loadError(junk)).toBe(`${path.join(junk, 'policyStates.json')}: not text (it holds NUL bytes): expected a JSON body saved as UTF-8`);
    const latin1 = sampleWith('policyStates.json', Buffer.from('{"value": [{"resourceId": "caf\xe9"}]}', 'latin1'));
    expect(loadError(latin1)).toMatch(/policyStates\.json: not UTF-8 text .*; save it as UTF-8$/);
  });
});

describe('snapshot layouts of other tools', () => {
  it('recognises `az aks list` output (a top-level array of flattened clusters) and gives the az rest command, shell-quoted', () => {
    const flattened = clustersDoc().value.map(({ properties, ...rest }) => ({ ...rest, ...properties }));
    const folder = sampleWith('managedClusters.json', JSON.stringify(flattened));
    const message = loadError(folder);
    expect(message).toContain(`managedClusters.json: (top level): a JSON array, the az CLI's flattened clusters (what \`az aks list\` prints`);
    expect(message).toContain('expected the ARM list body {"value": [cluster, ...]}');
    // The URL holds `?`: one single-quoted shell word, with the fleet's own subscription filled in.
    expect(message).toContain(
      `az rest --method get --url '/subscriptions/${SUB1}/providers/Microsoft.ContainerService/managedClusters?api-version=2026-04-01' > ${folder}/managedClusters.json`,
    );
  });

  it('recognises a flattened list wrapped in "value", one cluster\'s body, and az policy state list output', () => {
    const wrapped = sampleWith(
      'managedClusters.json',
      JSON.stringify({ value: clustersDoc().value.map(({ properties, ...rest }) => ({ ...rest, ...properties })) }),
    );
    expect(loadError(wrapped)).toMatch(/managedClusters\.json: value\[0\]: in the az CLI's flattened model .*az rest --method get/);
    const single = sampleWith('managedClusters.json', JSON.stringify(clustersDoc().value[0]));
    expect(loadError(single)).toMatch(/managedClusters\.json: \(top level\): one cluster's body .*az rest --method get --url/);
    const policy = sampleWith('policyStates.json', JSON.stringify([{ resourceId: 'x', complianceState: 'Compliant' }]));
    expect(loadError(policy)).toContain(
      `policyStates.json: (top level): a JSON array (what \`az policy state list\` prints); expected the queryResults body {"value": [state, ...]}: add --query '{value: @}' to that command`,
    );
  });

  it('says what layout a file should have when its outer shape is wrong', () => {
    const folder = sampleWith('managedClusters.json', JSON.stringify({ clusters: [] }));
    expect(loadError(folder)).toBe(
      `${folder}/managedClusters.json: value: is required; expected the ARM list body {"value": [cluster, ...]}, each cluster with its "properties"`,
    );
  });

  it('recognises the retired "orchestrators" layout of kubernetesVersions', () => {
    const folder = sampleWith(path.join('kubernetesVersions', 'northeurope.json'), JSON.stringify({ orchestrators: [] }));
    expect(loadError(folder)).toContain(
      `(top level): the retired "orchestrators" layout (what older \`az aks get-versions\` prints); expected the kubernetesVersions body`,
    );
    expect(loadError(folder)).toMatch(
      /az rest --method get --url '\/subscriptions\/[0-9a-f-]{36}\/providers\/Microsoft\.ContainerService\/locations\/northeurope\/kubernetesVersions\?api-version=2026-04-01'/,
    );
  });
});

describe('snapshot contents', () => {
  it('a cluster on Kubernetes "banana" is an input error naming the file and field, not a finding', () => {
    const doc = clustersDoc();
    doc.value[1]!.properties['kubernetesVersion'] = 'banana';
    const folder = sampleWith('managedClusters.json', JSON.stringify(doc));
    expect(loadError(folder)).toBe(
      `${folder}/managedClusters.json: value[1].properties.kubernetesVersion (cluster ${doc.value[1]!.name}): must be a Kubernetes version such as 1.31 or 1.31.3, not 'banana'`,
    );
  });

  it('validates node pool and catalog versions too (current versions are full patches)', () => {
    const doc = clustersDoc();
    const pools = doc.value[0]!.properties['agentPoolProfiles'] as Array<Record<string, unknown>>;
    pools[0]!['currentOrchestratorVersion'] = '1.31';
    const folder = sampleWith('managedClusters.json', JSON.stringify(doc));
    expect(loadError(folder)).toMatch(/agentPoolProfiles\[0\]\.currentOrchestratorVersion .*must be a Kubernetes version such as 1\.31\.3, not '1\.31'$/);
    const versions = JSON.parse(readFileSync(path.join(conformanceSample, 'kubernetesVersions', 'northeurope.json'), 'utf8')) as {
      values: Array<{ patchVersions?: Record<string, unknown> }>;
    };
    versions.values[0]!.patchVersions = { 'v1.x': { upgrades: [] } };
    const catalog = sampleWith(path.join('kubernetesVersions', 'northeurope.json'), JSON.stringify(versions));
    expect(loadError(catalog)).toMatch(/northeurope\.json: values\[0\]\.patchVersions\.v1\.x: Invalid key in record$/);
  });

  it('warns about an empty fleet, naming the file', () => {
    const folder = sampleWith('managedClusters.json', '{"value": []}');
    const snapshot = loadSnapshot(folder);
    expect(snapshot.clusters).toEqual([]);
    expect(snapshot.warnings).toEqual([
      `${folder}/managedClusters.json: "value" is empty, so there is no cluster to sweep (the wrong subscription, or a capture that saw none?)`,
    ]);
    expect(loadSnapshot(conformanceSample).warnings).toEqual([]);
  });

  it('names a misspelled log file with the known detection ids', () => {
    const folder = sampleWith(path.join('logs', 'failed-api-auht.json'), readFileSync(path.join(conformanceSample, 'logs', 'failed-api-auth.json')));
    expect(loadError(folder)).toBe(`${folder}/logs/failed-api-auht.json: 'failed-api-auht' is not a detection id (known: ${DETECTION_IDS.join(', ')})`);
  });
});
