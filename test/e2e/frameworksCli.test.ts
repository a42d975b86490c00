/**
 * `fleetguard sweep --json` carries each finding's benchmark items (`frameworks`, issue 16) as an
 * additive field: every other field is what it was, so the shared sample checkers keep reading it.
 */
import { describe, expect, it } from 'vitest';

import type { FrameworkMapping } from '../../lib/model/ruleMetadata.js';
import { frameworksOf } from '../../lib/rules/catalog.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { runCliInProcess } from '../harness/cli.js';

interface JsonFinding {
  ruleId: string;
  resourceId: string;
  severity: string;
  subject?: string;
  frameworks?: FrameworkMapping;
}

describe('fleetguard sweep --json: the framework mapping on each finding', () => {
  it('attaches the rule’s CIS AKS / Kubescape / NSA items to every finding, in-cluster ones included', async () => {
    const run = await runCliInProcess(['sweep', '--snapshot', sampleFleetDirectory(), '--json']);
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as { findings: JsonFinding[] };
    expect(result.findings.length).toBeGreaterThan(40);
    for (const finding of result.findings) expect(finding.frameworks, finding.ruleId).toEqual(frameworksOf(finding.ruleId));
    const clusterAdmin = result.findings.find((finding) => finding.ruleId === 'K8S-CLUSTER-ADMIN-BINDING');
    expect(clusterAdmin).toMatchObject({ severity: 'high', frameworks: { 'cis-aks': ['4.1.1'], nsa: ['C-0035'] } });
    expect(clusterAdmin?.frameworks?.kubescape).toContain('C-0185');
    // A rule no benchmark item corresponds to carries an empty mapping, never a guessed one.
    expect(result.findings.find((finding) => finding.ruleId === 'AKS-VERSION-ENDING')?.frameworks).toEqual({});
  }, 60_000);

  it('fleetguard report --framework names the frameworks it knows', async () => {
    const run = await runCliInProcess(['report', '--out', 'report.html', '--framework', 'pci']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--framework pci: must be one of cis-aks, kubescape, nsa');
  });
});
