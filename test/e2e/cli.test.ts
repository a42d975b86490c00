import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { AKS_AUDIT_LOGS } from '../../lib/posture/auditLogRules.js';
import { PSRULE_PARITY_RULES } from '../../lib/posture/psruleParityRules.js';
import { DEMO_SECRETS } from '../../tooling/demo/demo.js';
import { runCliInProcess } from '../harness/cli.js';
import { conformanceExpected, conformanceSample, projectRoot } from '../harness/fixtures.js';

/**
 * Runs the built CLI the way a user does (`npm test` builds first): for the exit statuses, stdout and
 * stderr of each command family, and for whatever depends on the process's own environment. Input
 * checks that are about the command, not the process, run the same `main` in process
 * (`runCliInProcess`), which spares each the ~2 s a process spends loading the SDKs.
 */
/** Rules beyond CONTRACTS.md §1 that mirror PSRule for Azure (README, *PSRule for Azure parity*). */
const PARITY_RULE_IDS = new Set([...PSRULE_PARITY_RULES.map((rule) => rule.id), AKS_AUDIT_LOGS.id]);

function fleetguard(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [path.join(projectRoot, 'dist', 'lib', 'cli', 'main.js'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface SweepJson {
  findings: Array<{ ruleId: string; resourceId: string; severity: string; fingerprint: string; title: string; detail: string }>;
  clusters: Array<{ resourceId: string }>;
  stats: { clusters: number };
}

describe('fleetguard sweep --snapshot', () => {
  it('reports exactly the findings of the conformance sample, as one JSON document', () => {
    const run = fleetguard(['sweep', '--snapshot', conformanceSample, '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const doc = JSON.parse(run.stdout) as SweepJson;
    const expected = JSON.parse(readFileSync(conformanceExpected, 'utf8')) as Record<string, string[]>;
    // The expected file names CONTRACTS.md §1 rules; the PSRule-parity rules (README) are judged apart, below.
    const parity = (ruleId: string) => PARITY_RULE_IDS.has(ruleId);
    const got: Record<string, string[]> = {};
    for (const finding of doc.findings.filter((candidate) => !parity(candidate.ruleId))) (got[finding.resourceId.toLowerCase()] ??= []).push(finding.ruleId);
    // The sample's system pools have no zones, in northeurope (zones 1-3): AKS-SYSTEM-POOL-ZONES on each; nothing else of the parity rules.
    expect(
      doc.findings
        .filter((finding) => parity(finding.ruleId))
        .map((finding) => `${finding.ruleId} ${finding.resourceId.split('/').at(-1) ?? ''}`)
        .sort(),
    ).toEqual(['AKS-SYSTEM-POOL-ZONES batch-staging', 'AKS-SYSTEM-POOL-ZONES payments-prod', 'AKS-SYSTEM-POOL-ZONES web-dev']);
    for (const [resourceId, rules] of Object.entries(expected)) {
      expect((got[resourceId.toLowerCase()] ?? []).sort(), resourceId).toEqual([...rules].sort());
    }
    const expectedIds = Object.keys(expected).map((id) => id.toLowerCase());
    expect(Object.keys(got).filter((id) => !expectedIds.includes(id))).toEqual([]);
    expect(doc.clusters).toHaveLength(3);
    expect(doc.stats.clusters).toBe(3);
    for (const finding of doc.findings) {
      expect(finding).toMatchObject({
        severity: expect.stringMatching(/^(critical|high|medium|low|info)$/),
        fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    }
  });

  it('prints a table grouped by cluster for people', () => {
    const run = fleetguard(['sweep', '--snapshot', conformanceSample]);
    expect(run.status).toBe(0);
    // The §1 findings plus AKS-SYSTEM-POOL-ZONES (zoneless system pools in northeurope).
    expect(run.stdout).toMatch(/batch-staging .*6 findings/);
    expect(run.stdout).toMatch(/payments-prod .*1 finding\b/);
    expect(run.stdout).toContain('Sweep succeeded: 3 clusters in 2/2 subscriptions');
    // Progress goes to stderr only on a terminal.
    expect(run.stderr).toBe('');
  });

  it('rejects a malformed snapshot with one line naming the file, and exit status 2', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'bad-snapshot-'));
    cpSync(conformanceSample, folder, { recursive: true });
    writeFileSync(path.join(folder, 'managedClusters.json'), '{"value": [');
    const run = await runCliInProcess(['sweep', '--snapshot', folder, '--json']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`${folder}/managedClusters.json: is not valid JSON`);
  });

  it('rejects a missing folder and bad flags', async () => {
    expect(await runCliInProcess(['sweep', '--snapshot', '/nonexistent', '--json'])).toMatchObject({
      status: 2,
      stderr: 'fleetguard: /nonexistent: snapshot folder does not exist\n',
    });
    expect((await runCliInProcess(['sweep', '--snapshot', conformanceSample, '--concurrency', 'many'])).status).toBe(2);
    expect((await runCliInProcess(['sweep', '--subscription', 'not-a-guid'])).stderr).toContain("'not-a-guid' is not a subscription id");
    // A usage error is exit 2 from the process too (commander's own exit is overridden).
    expect(fleetguard(['sweep', '--subscription', 'not-a-guid'])).toMatchObject({
      status: 2,
      stdout: '',
      stderr: expect.stringContaining("'not-a-guid' is not a subscription id"),
    });
  });

  it('a live sweep no credential can sign in for exits 1 with one line, reason authentication, on stderr', () => {
    // Developer credentials only (AZURE_TOKEN_CREDENTIALS=dev: no managed identity probe) and no az,
    // pwsh or azd on PATH; ARM is a closed loopback port, which nothing may reach without a token.
    const run = fleetguard(['sweep', '--json'], {
      PATH: '/nonexistent',
      AZURE_TOKEN_CREDENTIALS: 'dev',
      FLEETGUARD_ARM_ENDPOINT: 'https://127.0.0.1:9',
      FLEETGUARD_HTTP_MAX_RETRIES: '0',
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^fleetguard: authentication: no Azure credential could sign in: run `az login`[^\n]*AZURE_CLIENT_ID[^\n]*\n$/);
  });

  it('rejects malformed settings for a live sweep before calling Azure', () => {
    const run = fleetguard(['sweep', '--json'], { FLEETGUARD_SWEEP_CONCURRENCY: 'lots', FLEETGUARD_ARM_ENDPOINT: 'ftp://x' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('FLEETGUARD_SWEEP_CONCURRENCY: must be a whole number');
    expect(run.stderr).toContain('FLEETGUARD_ARM_ENDPOINT: must be an https:// URL');
  });
});

describe('fleetguard sweep --demo', () => {
  it('runs the whole pipeline on the built-in fleet and shows the lifecycle', () => {
    const run = fleetguard(['sweep', '--demo']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Sweep 1: every cluster the identity can see');
    expect(run.stdout).toMatch(/Sweep succeeded: 7 clusters in 3\/3 subscriptions/);
    // 43 ARM, policy and log findings, 6 in-cluster ones (the sample fleet's kubernetes/ folders for payments-prod and web-dev)
    // and 11 of the PSRule-parity rules (3 AKS-AUDIT-LOGS from diagnosticSettings.json, 3 zones, a Free production
    // cluster, a secret store without rotation, and legacy-reporting's service principal, 2 system nodes and no Container Insights).
    expect(run.stdout).toContain('Store: 60 opened');
    expect(run.stdout).toMatch(/│ medium +│ AKS-AUDIT-LOGS +│/);
    expect(run.stdout).toMatch(/│ medium +│ AKS-PRODUCTION-TIER +│/);
    expect(run.stdout).toContain('Log detections: 2 queries in 2 workspaces');
    expect(run.stdout).toMatch(/LOG-FAILED-API-AUTH/);
    expect(run.stdout).toContain('Azure Policy compliance: 65.5% (19 compliant, 10 non-compliant states)');
    // web-dev gets a network policy engine: its namespaces without a default-deny policy now count (2 opened).
    expect(run.stdout).toMatch(/Store: 2 opened, 0 reopened, 36 still open, 25 resolved/);
    expect(run.stdout).toContain('ClusterSupportEnding demo-support-ending-1: processed (notice stored; findings: 1 opened, 0 resolved)');
    expect(run.stdout).toContain('the same event delivered again: duplicate');
    // In-cluster findings on the sample fleet, with their benchmark items; the clusters not read are named.
    expect(run.stdout).toContain('Coverage: 2 checked, 3 unreachable, 2 notEntraIntegrated');
    expect(run.stdout).toMatch(/^ {2}high {5}K8S-CLUSTER-ADMIN-BINDING {2}sre-admins\/Group:[0-9a-f-]+ \(CIS AKS 4\.1\.1; Kubescape C-0185, C-0035\)$/m);
    expect(run.stdout).toMatch(/^ {2}high {5}K8S-PRIVILEGED-POD {2}frontend\/ReplicaSet\/web-6d8f7 \(CIS AKS 4\.2\.1/m);
    expect(run.stdout).toMatch(/^web-dev: 4 in-cluster findings$/m);
    expect(run.stdout).toMatch(/Not read \(their K8S findings neither open nor resolve\): checkout-prod \(unreachable\)/);
    expect(run.stdout).toContain('resolved on legacy-reporting: all 23 findings (cluster gone)');
    expect(run.stdout).toMatch(/Findings store: 38 open, 25 resolved · sweep records: 2/);
    expect(run.stdout).toContain('Rollout Halted: wave 0: web-dev: health gate failed: crashloop rose from 0 to 50');
    expect(run.stdout).toMatch(/wave 2: NotStarted {2}checkout-prod=NotStarted/);
    // The demo really delivered with these secrets (the sink saw them), and its output shows none of
    // them: not whole, and not the token parts of the Slack URL.
    const delivered = /^Delivered: (.*)$/m.exec(run.stdout)?.[1] ?? '';
    for (const vendor of ['pagerduty', 'slack', 'opsgenie']) expect(delivered).toMatch(new RegExp(`\\b[1-9]\\d* to ${vendor}\\b`));
    // Opsgenie (added as one vendor folder) takes the critical findings: the local sink refuses a create without the GenieKey.
    expect(run.stdout).toMatch(/Opsgenie alert \(Alert API v2[^\n]*\n\{\n {2}"message": "\[critical\] /);
    const captured = `${run.stdout}\n${run.stderr}`;
    const secretParts = Object.values(DEMO_SECRETS).flatMap((value) => [
      value,
      ...(value.startsWith('https://') ? new URL(value).pathname.split('/').slice(2) : []),
    ]);
    expect(secretParts).toContain('demo-not-a-real-token');
    for (const part of secretParts) expect(captured, 'a demo secret leaked into the output').not.toContain(part);
  }, 60_000);
});

describe('fleetguard report', () => {
  it('rejects bad input with a message naming the option or the setting', async () => {
    const notHtml = await runCliInProcess(['report', '--out', 'report.pdf']);
    expect(notHtml.status).toBe(2);
    expect(notHtml.stderr).toContain('--out report.pdf: the report is HTML; name the file *.html');
    // The app's settings are read from the process's environment: this one runs as a process.
    const noStorage = fleetguard(['report', '--out', path.join(mkdtempSync(path.join(tmpdir(), 'report-')), 'r.html')]);
    expect(noStorage.status).toBe(2);
    expect(noStorage.stderr).toContain('AzureWebJobsStorage__accountName: required');
    const unwritable = await runCliInProcess(['report', '--demo', '--out', '/dev/null/fleet/report.html']);
    expect(unwritable.status).toBe(2);
    expect(unwritable.stderr).toMatch(/--out \/dev\/null\/fleet\/report\.html: cannot write the report \(E[A-Z]+\)/);
    const both = await runCliInProcess(['report', '--demo', '--snapshot', 'fleet', '--out', 'report.html']);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--demo and --snapshot cannot be combined');
  }, 60_000);
});
