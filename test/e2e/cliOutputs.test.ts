/**
 * Outputs for pipelines (issue 17, Why "Pipelines": no --version, no SARIF or CSV, no severity filter,
 * no exit code to fail a CI job on high findings). `fleetguard` runs in process (test/harness/cli.ts)
 * on the conformance sample; the SARIF schema itself is checked in test/unit/report/sarif.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { FAIL_ON_EXIT_CODE } from '../../lib/cli/formats.js';
import { runCliInProcess } from '../harness/cli.js';
import { conformanceSample, projectRoot } from '../harness/fixtures.js';

interface SarifResult {
  ruleId: string;
  level: string;
  partialFingerprints: Record<string, string>;
}

let sarif: { status: number; stdout: string; stderr: string };
let csv: { status: number; stdout: string; stderr: string };

beforeAll(async () => {
  // Two sweeps of the three-cluster sample (15 findings), one per output; every check below reads
  // them. `--json` itself (CONTRACTS.md §3, unchanged) is checked by cli.test.ts and check_sweep.py.
  sarif = await runCliInProcess(['sweep', '--snapshot', conformanceSample, '--format', 'sarif', '--fail-on', 'high']);
  csv = await runCliInProcess(['sweep', '--snapshot', conformanceSample, '--format', 'csv', '--min-severity', 'high']);
}, 120_000);

function csvRows(): string[][] {
  const lines = csv.stdout.split('\r\n');
  // The last record ends with CRLF too (RFC 4180), so nothing follows it.
  expect(lines.at(-1)).toBe('');
  // No field of the sample holds a comma or a quote, so a plain split reads the records.
  return lines.slice(1, -1).map((line) => line.split(','));
}

describe('fleetguard sweep output formats', () => {
  it('--format sarif: one result per finding, and --fail-on high exits with its own code', () => {
    expect(sarif.stderr).toBe('');
    expect(sarif.status).toBe(FAIL_ON_EXIT_CODE);
    const log = JSON.parse(sarif.stdout) as { version: string; runs: Array<{ tool: { driver: { semanticVersion: string } }; results: SarifResult[] }> };
    expect(log.version).toBe('2.1.0');
    const version = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
    expect(log.runs[0]?.tool.driver.semanticVersion).toBe(version);
    // The 12 §1 findings and AKS-SYSTEM-POOL-ZONES on the three zoneless system pools.
    expect(log.runs[0]?.results).toHaveLength(15);
  });

  it('--format csv --min-severity high: RFC 4180 records of the high and critical findings only, fingerprints the same as the SARIF sweep’s', () => {
    expect(csv.status).toBe(0);
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^severity,ruleId,cluster,/);
    const rows = csvRows();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row[0]).toMatch(/^(high|critical)$/);
    // Critical and high are SARIF level "error": the same findings, with the same fingerprints, in another sweep.
    const header = csv.stdout.split('\r\n')[0]?.split(',') ?? [];
    const column = header.indexOf('fingerprint');
    const results = (JSON.parse(sarif.stdout) as { runs: Array<{ results: SarifResult[] }> }).runs[0]?.results ?? [];
    expect(rows.map((row) => row[column]).sort()).toEqual(
      results
        .filter((result) => result.level === 'error')
        .map((result) => result.partialFingerprints['fleetguardFingerprint/v1'])
        .sort(),
    );
  });

  it('--version prints the package version', async () => {
    const version = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
    expect(await runCliInProcess(['--version'])).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('refuses an unknown format or level and a --json that contradicts --format, exit 2', async () => {
    const bad = [
      ['sweep', '--snapshot', conformanceSample, '--format', 'xml'],
      ['sweep', '--snapshot', conformanceSample, '--fail-on', 'severe'],
      ['sweep', '--snapshot', conformanceSample, '--min-severity', 'urgent'],
      ['sweep', '--snapshot', conformanceSample, '--json', '--format', 'csv'],
      // Checked before the demo starts (the demo itself honours --format: see the README).
      ['sweep', '--demo', '--json', '--format', 'csv'],
    ];
    for (const args of bad) {
      const run = await runCliInProcess(args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
    }
  });

  it('documents defaults in --help', async () => {
    const help = await runCliInProcess(['sweep', '--help']);
    expect(help.stdout).toContain('--format <format>');
    expect(help.stdout).toMatch(/--fail-on <level>\s+exit 6/);
    expect(help.stdout).toContain('(default: table)');
  });
});
