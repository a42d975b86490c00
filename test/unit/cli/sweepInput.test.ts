/**
 * `fleetguard sweep` and its input (issue 17, "Silent acceptance" and "Misleading results"): every
 * mode validates the settings, flags that make no sense together are refused, an empty fleet is
 * warned about, `--demo --json` prints JSON, and a sweep no credential can sign in for is one line
 * with the fix. In process (lib/cli/main.ts through test/harness/cli.ts), one command at a time:
 * the commands read `process.env`, which each test sets and restores.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { LocalModes } from '../../../lib/cli/localModes.js';
import { sweepCommand } from '../../../lib/cli/sweepCommand.js';
import { forgetConfigForLocalHost } from '../../../lib/config.js';
import type { SweepResult } from '../../../lib/sweep/sweepResult.js';
import { runCliInProcess } from '../../harness/cli.js';
import { conformanceSample } from '../../harness/fixtures.js';

const SUB1 = '11111111-1111-1111-1111-111111111111';

const saved = { ...process.env };
/** Runs the CLI in process with these settings added to the environment. */
async function fleetguard(args: string[], settings: Record<string, string> = {}) {
  Object.assign(process.env, settings);
  forgetConfigForLocalHost();
  try {
    return await runCliInProcess(args);
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    forgetConfigForLocalHost();
  }
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'sweep-input-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => forgetConfigForLocalHost());

describe('settings in every mode', () => {
  it('a malformed setting stops a snapshot sweep with exit 2 naming it (it used to be ignored, exit 0)', async () => {
    const run = await fleetguard(['sweep', '--snapshot', conformanceSample, '--json'], { FLEETGUARD_SWEEP_CONCURRENCY: 'abc' });
    expect(run).toMatchObject({ status: 2, stdout: '' });
    expect(run.stderr).toBe('fleetguard: Invalid settings: - FLEETGUARD_SWEEP_CONCURRENCY: must be a whole number\n');
  });

  it('a malformed setting stops the demo before it starts', async () => {
    const run = await fleetguard(['sweep', '--demo'], { FLEETGUARD_DETECTION_THRESHOLDS: '{"failed-api-auht": 3}' });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^fleetguard: Invalid settings: - FLEETGUARD_DETECTION_THRESHOLDS: unknown detection id "failed-api-auht" \(known: .*\)\n$/);
  });

  it('a snapshot sweep honours the sweep settings and names those it ignores; an empty fleet is warned about', async () => {
    const folder = path.join(root, 'empty');
    cpSync(conformanceSample, folder, { recursive: true });
    writeFileSync(path.join(folder, 'managedClusters.json'), '{"value": []}');
    const run = await fleetguard(['sweep', '--snapshot', folder, '--json'], {
      FLEETGUARD_SWEEP_CONCURRENCY: '2',
      FLEETGUARD_SUBSCRIPTIONS: SUB1,
      FLEETGUARD_FINDINGS_TABLE: 'myFindings',
    });
    expect(run.status).toBe(0);
    expect(run.stderr.split('\n')).toEqual([
      'fleetguard: warning: ignored by sweep --snapshot (the snapshot stands in for Azure and nothing is stored): FLEETGUARD_SUBSCRIPTIONS, FLEETGUARD_FINDINGS_TABLE',
      `fleetguard: warning: ${folder}/managedClusters.json: "value" is empty, so there is no cluster to sweep (the wrong subscription, or a capture that saw none?)`,
      '',
    ]);
    expect((JSON.parse(run.stdout) as { stats: { clusters: number } }).stats.clusters).toBe(0);
  });
});

describe('flag combinations', () => {
  it.each([
    [['--snapshot', conformanceSample, '--demo'], '--snapshot and --demo cannot be combined'],
    [['--demo', '--subscription', SUB1], '--demo and --subscription cannot be combined'],
    [['--demo', '--concurrency', '4'], '--demo and --concurrency cannot be combined'],
    [['--snapshot', conformanceSample, '--json', '--details'], '--json and --details cannot be combined'],
  ])('sweep %j is refused with exit 2 and one line naming the flags', async (flags, message) => {
    expect(await fleetguard(['sweep', ...flags])).toEqual({ status: 2, stdout: '', stderr: `fleetguard: ${message}\n` });
  });
});

describe('sweep --demo --json', () => {
  /**
   * The demo itself (~20 s: simulator, Azurite, a rehearsal) is run by test/e2e/cli.test.ts; here
   * the local modes port answers its first sweep at once, and the command's handling of --json is
   * what runs: the narrative is turned off and the sweep printed as `sweep --json` prints it.
   */
  const sweep: SweepResult = {
    sweepId: 'demo',
    startedAt: '2026-11-30T00:00:00.000Z',
    endedAt: '2026-11-30T00:00:01.000Z',
    status: 'succeeded',
    findings: [],
    clusters: [],
    stats: {
      subscriptions: { total: 1, succeeded: 1, failed: 0 },
      clusters: 0,
      locations: { total: 0, failed: 0 },
      findings: { total: 0, bySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 }, byRule: {} },
      policy: { compliant: 0, nonCompliant: 0, percent: undefined },
      logs: undefined,
      durationMs: 1000,
      store: undefined,
    },
    errors: [],
  };

  it('prints one JSON document (the first sweep, as sweep --json does) instead of the narrative', async () => {
    const narrated: boolean[] = [];
    let stdout = '';
    const output = { stdout: (text: string) => (stdout += `${text}\n`), width: undefined };
    const localModes = () =>
      Promise.resolve({
        runDemo: (demoOutput: typeof output, options: { narrate: boolean }) => {
          narrated.push(options.narrate);
          if (options.narrate) demoOutput.stdout('=== aks-fleet-guard demo');
          return Promise.resolve({ exitCode: 0, sweep });
        },
      } as unknown as LocalModes);
    expect(await sweepCommand({ demo: true, json: true }, output, localModes, {})).toBe(0);
    expect(narrated).toEqual([false]);
    expect(JSON.parse(stdout)).toEqual({ ...JSON.parse(JSON.stringify(sweep)), findings: [] });
    stdout = '';
    expect(await sweepCommand({ demo: true }, output, localModes, {})).toBe(0);
    expect(stdout).toBe('=== aks-fleet-guard demo\n');
  });
});

describe('a live sweep that no credential can sign in for', () => {
  /**
   * DefaultAzureCredential with nothing to sign in with, and no network: no AZURE_* service
   * principal, no `az`, `pwsh` or `azd` on PATH, and the developer credentials only
   * (AZURE_TOKEN_CREDENTIALS=dev, Learn "Credential chains in the Azure Identity library for
   * JavaScript": the managed identity's IMDS probe retries for ~16 s on a machine without one).
   * ARM itself is a closed loopback port: nothing may be reached without a token.
   */
  const NOT_SIGNED_IN = {
    PATH: '/nonexistent',
    AZURE_TOKEN_CREDENTIALS: 'dev',
    FLEETGUARD_ARM_ENDPOINT: 'https://127.0.0.1:9',
    FLEETGUARD_HTTP_MAX_RETRIES: '0',
  };

  it('is one line on stderr with reason authentication and the fix, exit 1, nothing on stdout', async () => {
    const run = await fleetguard(['sweep', '--subscription', SUB1], NOT_SIGNED_IN);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')).toHaveLength(2);
    expect(run.stderr).toMatch(/^fleetguard: authentication: no Azure credential could sign in: run `az login`/);
    expect(run.stderr).toContain('managed identity');
    expect(run.stderr).toContain('AZURE_CLIENT_ID');
    expect(run.stderr).not.toContain('CredentialUnavailableError');
  });

  it('--verbose adds what each credential of the chain answered, on stderr', async () => {
    const run = await fleetguard(['sweep', '--verbose'], NOT_SIGNED_IN);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('listing subscriptions: ChainedTokenCredential authentication failed.');
    expect(run.stderr).toContain('Azure CLI could not be found');
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^fleetguard: authentication: no Azure credential could sign in/);
  });
});
