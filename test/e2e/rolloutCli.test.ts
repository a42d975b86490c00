import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { runCli, runCliInProcess } from '../harness/cli.js';

/**
 * The exit statuses and the output are the contract (CONTRACTS.md §4): the first test and the unknown-tag
 * one run the built CLI as a process; the others run the same `main` in process (one at a time: a rehearsal points
 * `process.env` at its simulator), which spares each the ~2 s a process spends loading the SDKs.
 */
const fleetguard = runCliInProcess;

const CLUSTER_STATUSES = ['Upgraded', 'Failed', 'Skipped', 'Excluded', 'NotStarted'];
const WAVE_STATUSES = ['Completed', 'Halted', 'Skipped', 'NotStarted'];

describe('fleetguard rollout (CONTRACTS.md §4)', () => {
  it('rehearses on a snapshot and prints one JSON document; a halt on an injected anomaly still exits 0', async () => {
    const run = await runCli([
      'rollout',
      '--snapshot',
      sampleFleetDirectory(),
      '--target',
      '1.32',
      '--waves-by-tag',
      'ring',
      '--inject-anomaly',
      'checkout-prod',
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const doc = JSON.parse(run.stdout) as {
      status: string;
      haltReason: string | null;
      waves: Array<{
        name: string;
        status: string;
        clusters: Array<{ resourceId: string; status: string; fromVersion: string; toVersion: string; reason: string | null }>;
      }>;
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
        expect(cluster).toMatchObject({
          resourceId: expect.any(String),
          status: expect.any(String),
          fromVersion: expect.any(String),
          toVersion: expect.any(String),
        });
        expect(cluster.reason === null || typeof cluster.reason === 'string').toBe(true);
      }
    }
    const checkout = doc.waves[2]?.clusters.find((cluster) => cluster.resourceId.endsWith('/checkout-prod'));
    expect(checkout).toMatchObject({ status: 'Upgraded', fromVersion: '1.31.3', toVersion: '1.32.3' });
    expect(doc.excluded.map((entry) => entry.resourceId.split('/').at(-1))).toEqual(['batch-staging', 'legacy-reporting', 'web-dev']);
  });

  it('an injected failure with the default --max-failed 0 halts', async () => {
    const run = await fleetguard([
      'rollout',
      '--snapshot',
      sampleFleetDirectory(),
      '--target',
      '1.32.3',
      '--waves-by-tag',
      'ring',
      '--inject-failure',
      'checkout-prod',
      '--json',
    ]);
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

  it('a rehearsal that upgrades something exits 0 and says how many (added fields: upgraded, nothingToUpgrade)', async () => {
    const run = await fleetguard(['rollout', '--snapshot', sampleFleetDirectory(), '--target', '1.32', '--waves-by-tag', 'ring', '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'Completed', upgraded: 1, nothingToUpgrade: null });
  });

  it('a rehearsal in which every cluster is excluded or skipped exits 1 with one line and the reasons; --allow-empty exits 0', async () => {
    // 1.32.4 is offered in westeurope only: its clusters are already there, the rest cannot get it.
    const args = ['rollout', '--snapshot', sampleFleetDirectory(), '--target', '1.32.4', '--waves-by-tag', 'ring', '--json'];
    const empty = await fleetguard(args);
    const allowed = await fleetguard([...args, '--allow-empty']);
    const text = await fleetguard(args.filter((arg) => arg !== '--json'));
    expect(empty.status).toBe(1);
    expect(empty.stderr.trimEnd().split('\n')).toEqual([
      'fleetguard: nothing to upgrade to 1.32.4: 5 clusters excluded, 2 skipped (batch-staging, checkout-prod, payments-prod and 1 more excluded: Kubernetes 1.32.4 is not offered in northeurope; ' +
        'legacy-reporting excluded: provisioningState is Failed, not Succeeded; data-canary, search-prod skipped: already at 1.32.4) (pass --allow-empty to accept a rehearsal that upgrades nothing)',
    ]);
    // The document is still printed, with the same line, for scripts that read it.
    const doc = JSON.parse(empty.stdout) as { status: string; upgraded: number; nothingToUpgrade: string | null };
    expect(doc).toMatchObject({
      status: 'Completed',
      upgraded: 0,
      nothingToUpgrade: expect.stringMatching(/^nothing to upgrade to 1\.32\.4: 5 clusters excluded, 2 skipped/),
    });

    expect(allowed.stderr).toBe('');
    expect(allowed.status).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ status: 'Completed', upgraded: 0 });

    expect(text.status).toBe(1);
    expect(text.stdout.split('\n')[0]).toBe('Rollout Completed, nothing upgraded');
  }, 60_000);

  it('a --waves-by-tag tag that no cluster carries is exit 2 naming it, before anything runs', async () => {
    const run = await runCli(['rollout', '--snapshot', sampleFleetDirectory(), '--target', '1.32', '--waves-by-tag', 'nosuchtag', '--json']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe("fleetguard: --waves-by-tag: no cluster carries the tag 'nosuchtag'\n");
  });

  it('an --inject-* name that is not a cluster the plan upgrades is exit 2 naming it (a typo must not make a halt drill pass)', async () => {
    const base = ['rollout', '--snapshot', sampleFleetDirectory(), '--target', '1.32', '--waves-by-tag', 'ring', '--json'];
    const typo = await fleetguard([...base, '--inject-anomaly', 'nosuchcluster']);
    const skipped = await fleetguard([...base, '--inject-failure', 'checkout-prod', '--inject-failure', 'search-prod']);
    const excluded = await fleetguard([...base, '--inject-anomaly', 'WEB-DEV']);
    expect(typo.status).toBe(2);
    expect(typo.stdout).toBe('');
    expect(typo.stderr).toBe("fleetguard: --inject-anomaly: 'nosuchcluster' is not a cluster in the plan (it upgrades: checkout-prod)\n");
    // In the snapshot, but the plan does not upgrade it: injecting there would test nothing either.
    expect(skipped.status).toBe(2);
    expect(skipped.stderr).toBe("fleetguard: --inject-failure: 'search-prod' is not upgraded by the plan (skipped: already at 1.32.4)\n");
    expect(excluded.status).toBe(2);
    expect(excluded.stderr).toMatch(
      // The planner's reason names the API field; the CLI names the flag (issue 17).
      /^fleetguard: --inject-anomaly: 'WEB-DEV' is not upgraded by the plan \(excluded: 1\.30\.4 → 1\.32\.3 crosses 2 minors;.*pass --allow-multi-minor-hops.*\)\n$/,
    );
  }, 60_000);

  it('a malformed snapshot is exit 2 naming the file', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'fleetguard-snapshot-'));
    try {
      writeFileSync(path.join(directory, 'managedClusters.json'), '{"value": [');
      const run = await fleetguard(['rollout', '--snapshot', directory, '--target', '1.32', '--waves-by-tag', 'ring', '--json']);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(
        new RegExp(`^fleetguard: ${path.join(directory, 'managedClusters.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is not valid JSON`),
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
