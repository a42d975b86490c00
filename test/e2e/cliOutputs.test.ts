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

interface JsonFinding {
  ruleId: string;
  resourceId: string;
  severity: string;
  fingerprint: string;
}
interface SarifResult {
  ruleId: string;
  level: string;
  partialFingerprints: Record<string, string>;
}

let json: { status: number; stdout: string; stderr: string };
let sarif: { status: number; stdout: string; stderr: string };
let csv: { status: number; stdout: string; stderr: string };

beforeAll(async () => {
  // Three sweeps of the three-cluster sample, one per output; every check below reads these.
  json = await runCliInProcess(['sweep', '--snapshot', conformanceSample, '--json']);
  sarif = await runCliInProcess(['sweep', '--snapshot', conformanceSample, '--format', 'sarif', '--fail-on', 'high']);
  csv = await runCliInProcess(['sweep', '--snapshot', conformanceSample, '--format', 'csv', '--min-severity', 'high']);
}, 120_000);

describe('fleetguard sweep output formats', () => {
  it('--json keeps the CONTRACTS.md §3 document (findings[].ruleId/resourceId) and exit 0 without --fail-on', () => {
    expect(json.stderr).toBe('');
    const doc = JSON.parse(json.stdout) as { findings: JsonFinding[]; clusters: unknown[]; stats: unknown };
    expect(doc.findings.length).toBe(12);
    expect(doc.clusters).toHaveLength(3);
    expect(doc.findings.some((finding) => finding.severity === 'critical' || finding.severity === 'high')).toBe(true);
    expect(json.status).toBe(0);
  });

  it('--format sarif: one result per finding with the finding fingerprint (stable across sweeps), and --fail-on high exits with its own code', () => {
    expect(sarif.stderr).toBe('');
    expect(sarif.status).toBe(FAIL_ON_EXIT_CODE);
    const log = JSON.parse(sarif.stdout) as { version: string; runs: Array<{ tool: { driver: { semanticVersion: string } }; results: SarifResult[] }> };
    expect(log.version).toBe('2.1.0');
    const run = log.runs[0];
    const version = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
    expect(run?.tool.driver.semanticVersion).toBe(version);
    const findings = (JSON.parse(json.stdout) as { findings: JsonFinding[] }).findings;
    expect(run?.results.map((result) => result.partialFingerprints['fleetguardFingerprint/v1']).sort()).toEqual(
      findings.map((finding) => finding.fingerprint).sort(),
    );
    expect(new Set(run?.results.map((result) => result.level))).toEqual(
      new Set(['error', 'warning', 'note'].filter((level) => run?.results.some((result) => result.level === level))),
    );
  });

  it('--format csv --min-severity high: RFC 4180 records of the high and critical findings only', () => {
    expect(csv.status).toBe(0);
    const lines = csv.stdout.split('\r\n');
    expect(lines[0]).toMatch(/^severity,ruleId,cluster,/);
    expect(lines.at(-1)).toBe('\n'.slice(1));
    const rows = lines.slice(1, -1);
    const findings = (JSON.parse(json.stdout) as { findings: JsonFinding[] }).findings;
    expect(rows.length).toBe(findings.filter((finding) => finding.severity === 'high' || finding.severity === 'critical').length);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatch(/^(high|critical),/);
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
      ['sweep', '--demo', '--format', 'sarif'],
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
