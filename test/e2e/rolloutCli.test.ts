import { describe, expect, it } from 'vitest';

import { sampleFleetDirectory } from '../../lib/simulator/sampleFleet.js';
import { runCli } from '../harness/cli.js';

const fleetguard = runCli;

const CLUSTER_STATUSES = ['Upgraded', 'Failed', 'Skipped', 'Excluded', 'NotStarted'];
const WAVE_STATUSES = ['Completed', 'Halted', 'Skipped', 'NotStarted'];

describe('fleetguard rollout (CONTRACTS.md §4)', () => {
  it('rehearses on a snapshot and prints one JSON document; a halt on an injected anomaly still exits 0', async () => {
    const run = await fleetguard(['rollout', '--snapshot', sampleFleetDirectory(), '--target', '1.32', '--waves-by-tag', 'ring', '--inject-anomaly', 'checkout-prod', '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const doc = JSON.parse(run.stdout) as {
      status: string;
      haltReason: string | null;
      waves: Array<{ name: string; status: string; clusters: Array<{ resourceId: string; status: string; fromVersion: string; toVersion: string; reason: string | null }> }>;
      excluded: Array<{ resourceId: string; reason: string }>;
    };
    expect(doc.status).toBe('Halted');
    expect(doc.haltReason).toMatch(/checkout-prod: health gate failed/);
    expect(doc.waves.map((wave) => wave.name)).toEqual(['0', '1', '2']);
    for (const wave of doc.waves) {
      expect(WAVE_STATUSES).toContain(wave.status);
      for (const cluster of wave.clusters) {
        expect(CLUSTER_STATUSES).toContain(cluster.status);
        // The contract's fields; more (such as `gate`) may follow as extensions.
        expect(cluster).toMatchObject({ resourceId: expect.any(String), status: expect.any(String), fromVersion: expect.any(String), toVersion: expect.any(String) });
        expect(cluster.reason === null || typeof cluster.reason === 'string').toBe(true);
      }
    }
    const checkout = doc.waves[2]?.clusters.find((cluster) => cluster.resourceId.endsWith('/checkout-prod'));
    expect(checkout).toMatchObject({ status: 'Upgraded', fromVersion: '1.31.3', toVersion: '1.32.3' });
    expect(doc.excluded.map((entry) => entry.resourceId.split('/').at(-1))).toEqual(['batch-staging', 'legacy-reporting', 'web-dev']);
  });

  it('an injected failure with the default --max-failed 0 halts', async () => {
    const run = await fleetguard(['rollout', '--snapshot', sampleFleetDirectory(), '--target', '1.32.3', '--waves-by-tag', 'ring', '--inject-failure', 'checkout-prod', '--json']);
    expect(run.status).toBe(0);
    const doc = JSON.parse(run.stdout) as { status: string; waves: Array<{ clusters: Array<{ resourceId: string; status: string }> }> };
    expect(doc.status).toBe('Halted');
    expect(doc.waves.flatMap((wave) => wave.clusters).find((cluster) => cluster.resourceId.endsWith('/checkout-prod'))?.status).toBe('Failed');
  });

  it('rejects an unknown target version with a clear error and a non-zero exit', async () => {
    const unknown = await fleetguard(['rollout', '--snapshot', sampleFleetDirectory(), '--target', '1.40', '--waves-by-tag', 'ring', '--json']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^fleetguard: target: Kubernetes 1.40 is not offered in any location of the fleet/);
    const malformed = await fleetguard(['rollout', '--snapshot', sampleFleetDirectory(), '--target', 'latest', '--waves-by-tag', 'ring']);
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toContain("--target: 'latest' is not a Kubernetes version");
  });
});
