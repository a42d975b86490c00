import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { toVersionCatalog } from '../../../lib/azure/containerServiceConverters.js';
import type { Cluster } from '../../../lib/model/cluster.js';
import type { KubernetesMinorVersion, KubernetesVersionCatalog } from '../../../lib/model/kubernetesVersions.js';
import { evaluateCluster } from '../../../lib/posture/evaluateCluster.js';
import { compliantCluster } from '../../harness/clusters.js';
import { restExamples } from '../../harness/fixtures.js';

/** The KubernetesVersions_List example of the REST spec: 1.23, 1.24 (default), 1.25, 1.26 (preview). */
function exampleCatalog(): KubernetesVersionCatalog {
  const example = JSON.parse(readFileSync(path.join(restExamples, 'KubernetesVersions_List.2025-07-01.json'), 'utf8')) as {
    responses: { 200: { body: { values: [] } } };
  };
  return toVersionCatalog('location1', example.responses[200].body);
}

function versionFindings(
  version: string | undefined,
  pools: Array<string | undefined> = [version],
  catalog = exampleCatalog(),
  plan: Partial<Pick<Cluster, 'supportPlan' | 'skuTier'>> = {},
) {
  const cluster = compliantCluster({
    ...plan,
    kubernetesVersion: version,
    // The first pool is the system pool, with the 3 nodes AKS-SYSTEM-POOL-MIN-NODES asks for.
    agentPools: pools.map((poolVersion, index) => ({
      name: `pool${index}`,
      mode: index === 0 ? 'System' : 'User',
      version: poolVersion,
      provisioningState: 'Succeeded',
      powerState: 'Running',
      count: index === 0 ? 3 : 1,
      nodeImageVersion: undefined,
    })),
  });
  return evaluateCluster(cluster, catalog).findings;
}

describe('version rules on the REST example catalog', () => {
  it('reads the example: minors, preview and default flags, patch upgrades', () => {
    const catalog = exampleCatalog();
    expect(catalog.minors.map((m) => [m.minor, m.isPreview, m.isDefault])).toEqual([
      ['1.23', false, false],
      ['1.24', false, true],
      ['1.25', false, false],
      ['1.26', true, false],
    ]);
    expect(catalog.minors[0]?.patches['1.23.12']).toEqual(['1.23.15', '1.24.6', '1.24.9']);
  });

  it('a minor not listed is unsupported (critical) and says where to go next', () => {
    const findings = versionFindings('1.22.17');
    expect(findings.map((f) => [f.ruleId, f.severity])).toEqual([['AKS-VERSION-UNSUPPORTED', 'critical']]);
    expect(findings[0]?.detail).toContain('1.23');
  });

  it('the lowest non-preview minor is ending (medium), not unsupported', () => {
    expect(versionFindings('1.23.15').map((f) => f.ruleId)).toEqual(['AKS-VERSION-ENDING']);
  });

  it('a newer listed minor is fine, preview included', () => {
    expect(versionFindings('1.24.9')).toEqual([]);
    expect(versionFindings('1.26.0')).toEqual([]);
  });

  it('a lowest minor that is preview does not make the next one ending', () => {
    const catalog: KubernetesVersionCatalog = {
      location: 'x',
      minors: [
        { minor: '1.29', isPreview: true, isDefault: false, supportPlans: [], patches: {} },
        { minor: '1.30', isPreview: false, isDefault: true, supportPlans: [], patches: {} },
      ],
    };
    expect(versionFindings('1.30.1', ['1.30.1'], catalog).map((f) => f.ruleId)).toEqual(['AKS-VERSION-ENDING']);
  });

  it('compares minors numerically (1.9 < 1.10)', () => {
    const catalog: KubernetesVersionCatalog = {
      location: 'x',
      minors: [
        { minor: '1.10', isPreview: false, isDefault: false, supportPlans: [], patches: {} },
        { minor: '1.9', isPreview: false, isDefault: false, supportPlans: [], patches: {} },
      ],
    };
    expect(versionFindings('1.9.3', ['1.9.3'], catalog).map((f) => f.ruleId)).toEqual(['AKS-VERSION-ENDING']);
    expect(versionFindings('1.10.0', ['1.10.0'], catalog)).toEqual([]);
  });

  it('an unknown control-plane version counts as unsupported', () => {
    // No pool at all also means no system node (AKS-SYSTEM-POOL-MIN-NODES), which is not this test's concern.
    expect(
      versionFindings(undefined, [])
        .map((f) => f.ruleId)
        .filter((id) => id !== 'AKS-SYSTEM-POOL-MIN-NODES'),
    ).toEqual(['AKS-VERSION-UNSUPPORTED']);
  });

  it('pool skew fires once per cluster and names every skewed pool', () => {
    const findings = versionFindings('1.24.9', ['1.24.9', '1.23.15', '1.23.12']);
    expect(findings.map((f) => f.ruleId)).toEqual(['AKS-POOL-VERSION-SKEW']);
    expect(findings[0]?.detail).toContain('pool1 (1.23.15)');
    expect(findings[0]?.detail).toContain('pool2 (1.23.12)');
  });

  it('a pool on another patch of the same minor is not skew', () => {
    expect(versionFindings('1.24.9', ['1.24.6'])).toEqual([]);
  });

  it('without the location catalog, version rules are not evaluated (so they cannot resolve)', () => {
    const evaluation = evaluateCluster(compliantCluster({ kubernetesVersion: '1.0.0', agentPools: [] }), undefined);
    expect(evaluation.findings.filter((finding) => finding.ruleId !== 'AKS-SYSTEM-POOL-MIN-NODES')).toEqual([]);
    expect(evaluation.evaluatedRuleIds).not.toContain('AKS-VERSION-UNSUPPORTED');
    expect(evaluation.evaluatedRuleIds).not.toContain('AKS-VERSION-ENDING');
    expect(evaluation.evaluatedRuleIds).toContain('AKS-POOL-VERSION-SKEW');
  });
});

/**
 * Support plans (CONTRACTS.md §1; Learn: azure/aks/long-term-support). No official example lists a
 * minor with `AKSLongTermSupport`, so these catalogs are written here in the REST shape the
 * converters read: `capabilities.supportPlan` per minor, as `az aks get-versions` shows it.
 */
describe('version rules with support plans', () => {
  const minor = (version: string, supportPlans: string[], isPreview = false): KubernetesMinorVersion => ({
    minor: version,
    isPreview,
    isDefault: false,
    supportPlans,
    patches: {},
  });
  const OFFICIAL = ['KubernetesOfficial'];
  const BOTH = ['KubernetesOfficial', 'AKSLongTermSupport'];
  const LTS_ONLY = ['AKSLongTermSupport'];
  // 1.27 is offered only as LTS; 1.30 both; 1.31 and 1.32 standard; 1.33 preview.
  const catalog: KubernetesVersionCatalog = {
    location: 'northeurope',
    minors: [minor('1.27', LTS_ONLY), minor('1.30', BOTH), minor('1.31', OFFICIAL), minor('1.32', OFFICIAL), minor('1.33', OFFICIAL, true)],
  };
  const premiumLts = { supportPlan: 'AKSLongTermSupport', skuTier: 'Premium' };

  it('a standard cluster on an LTS-only minor is unsupported, not ending, and is told both ways out', () => {
    const findings = versionFindings('1.27.9', ['1.27.9'], catalog);
    expect(findings.map((f) => f.ruleId)).toEqual(['AKS-VERSION-UNSUPPORTED']);
    expect(findings[0]?.detail).toContain('only with the AKSLongTermSupport support plan');
    expect(findings[0]?.detail).toContain('starting with 1.30');
    expect(findings[0]?.detail).toContain('--tier premium --k8s-support-plan AKSLongTermSupport');
  });

  it('for a standard cluster, the next to leave support is the lowest minor offered with KubernetesOfficial', () => {
    expect(versionFindings('1.30.5', ['1.30.5'], catalog).map((f) => f.ruleId)).toEqual(['AKS-VERSION-ENDING']);
    expect(versionFindings('1.31.2', ['1.31.2'], catalog)).toEqual([]);
  });

  it('an LTS cluster (Premium) on the LTS-only minor is supported and is the next to leave support', () => {
    expect(versionFindings('1.27.9', ['1.27.9'], catalog, premiumLts).map((f) => f.ruleId)).toEqual(['AKS-VERSION-ENDING']);
    expect(versionFindings('1.30.5', ['1.30.5'], catalog, premiumLts)).toEqual([]);
  });

  it('an LTS cluster on a minor not offered with LTS is unsupported', () => {
    expect(versionFindings('1.31.2', ['1.31.2'], catalog, premiumLts).map((f) => f.ruleId)).toEqual(['AKS-VERSION-UNSUPPORTED']);
  });

  it('a minor listed without capabilities counts as KubernetesOfficial', () => {
    const bare: KubernetesVersionCatalog = { location: 'x', minors: [minor('1.30', []), minor('1.31', [])] };
    expect(versionFindings('1.30.1', ['1.30.1'], bare).map((f) => f.ruleId)).toEqual(['AKS-VERSION-ENDING']);
    expect(versionFindings('1.31.1', ['1.31.1'], bare, premiumLts).map((f) => f.ruleId)).toEqual(['AKS-VERSION-UNSUPPORTED']);
  });

  it('support plans compare case-insensitively', () => {
    expect(versionFindings('1.27.9', ['1.27.9'], catalog, { supportPlan: 'akslongtermsupport', skuTier: 'premium' }).map((f) => f.ruleId)).toEqual([
      'AKS-VERSION-ENDING',
    ]);
  });

  it('AKS-LTS-TIER: an LTS plan below the Premium tier is a high finding with the fix', () => {
    const standard = versionFindings('1.30.5', ['1.30.5'], catalog, { supportPlan: 'AKSLongTermSupport', skuTier: 'Standard' });
    expect(standard.map((f) => [f.ruleId, f.severity])).toEqual([['AKS-LTS-TIER', 'high']]);
    expect(standard[0]?.detail).toContain('az aks update -g rg -n good --tier premium --k8s-support-plan AKSLongTermSupport');
    expect(standard[0]?.docUrl).toBe('https://learn.microsoft.com/azure/aks/long-term-support');
    expect(versionFindings('1.30.5', ['1.30.5'], catalog, { supportPlan: 'AKSLongTermSupport', skuTier: undefined }).map((f) => f.ruleId)).toEqual([
      'AKS-LTS-TIER',
    ]);
    expect(versionFindings('1.30.5', ['1.30.5'], catalog, premiumLts)).toEqual([]);
    expect(versionFindings('1.31.2', ['1.31.2'], catalog, { supportPlan: 'KubernetesOfficial', skuTier: 'Free' })).toEqual([]);
  });
});
