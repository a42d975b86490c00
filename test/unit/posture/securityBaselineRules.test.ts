import { describe, expect, it } from 'vitest';

import type { Cluster } from '../../../lib/model/cluster.js';
import { CLUSTER_RULES, evaluateCluster } from '../../../lib/posture/evaluateCluster.js';
import { SECURITY_BASELINE_RULES } from '../../../lib/posture/securityBaselineRules.js';
import { compliantCluster } from '../../harness/clusters.js';

function ruleIds(cluster: Cluster): string[] {
  return evaluateCluster(cluster, undefined).findings.map((finding) => finding.ruleId);
}

describe('security baseline rules', () => {
  it('a compliant cluster has no findings', () => {
    expect(ruleIds(compliantCluster())).toEqual([]);
  });

  it('catalog severities match CONTRACTS.md §1', () => {
    const severities = Object.fromEntries(CLUSTER_RULES.map((rule) => [rule.id, rule.severity]));
    expect(severities).toEqual({
      'AKS-K8S-RBAC': 'critical',
      'AKS-ENTRA': 'high',
      'AKS-AZURE-RBAC': 'medium',
      'AKS-LOCAL-ACCOUNTS': 'high',
      'AKS-API-EXPOSURE': 'high',
      'AKS-NETWORK-POLICY': 'high',
      'AKS-WORKLOAD-IDENTITY': 'medium',
      'AKS-AZURE-POLICY': 'medium',
      'AKS-KEYVAULT-CSI': 'low',
      'AKS-DEFENDER': 'medium',
      'AKS-AUTO-UPGRADE': 'low',
      'AKS-NODE-OS-UPGRADE': 'medium',
      'AKS-PROVISIONING-FAILED': 'high',
      'AKS-VERSION-UNSUPPORTED': 'critical',
      'AKS-VERSION-ENDING': 'medium',
      'AKS-LTS-TIER': 'high',
      'AKS-POOL-VERSION-SKEW': 'low',
      // Beyond §1: PSRule parity (issue 16).
      'AKS-KV-SECRET-ROTATION': 'low',
      'AKS-SYSTEM-POOL-ZONES': 'medium',
      'AKS-PRODUCTION-TIER': 'medium',
      'AKS-SYSTEM-POOL-MIN-NODES': 'medium',
      'AKS-MANAGED-IDENTITY': 'medium',
      'AKS-CONTAINER-INSIGHTS': 'low',
    });
  });

  it('every rule has a title, a practice and a Microsoft Learn link', () => {
    for (const rule of CLUSTER_RULES) {
      expect(rule.title.length, rule.id).toBeGreaterThan(10);
      expect(rule.practice.length, rule.id).toBeGreaterThan(3);
      expect(rule.docUrl, rule.id).toMatch(/^https:\/\/learn\.microsoft\.com\//);
    }
  });

  const cases: Array<[string, Partial<Cluster>, string]> = [
    ['RBAC off', { enableRbac: false }, 'AKS-K8S-RBAC'],
    ['RBAC missing', { enableRbac: undefined }, 'AKS-K8S-RBAC'],
    ['Entra not managed', { aadManaged: undefined }, 'AKS-ENTRA'],
    ['Azure RBAC off', { aadAzureRbac: false }, 'AKS-AZURE-RBAC'],
    ['local accounts on', { disableLocalAccounts: false }, 'AKS-LOCAL-ACCOUNTS'],
    ['local accounts missing', { disableLocalAccounts: undefined }, 'AKS-LOCAL-ACCOUNTS'],
    ['public API, no ranges', { privateCluster: false, authorizedIpRanges: [] }, 'AKS-API-EXPOSURE'],
    ['API profile missing', { privateCluster: undefined, authorizedIpRanges: [] }, 'AKS-API-EXPOSURE'],
    ['network policy none', { networkPolicy: 'none' }, 'AKS-NETWORK-POLICY'],
    ['network policy missing', { networkPolicy: undefined }, 'AKS-NETWORK-POLICY'],
    ['network policy unknown engine', { networkPolicy: 'weave' }, 'AKS-NETWORK-POLICY'],
    ['workload identity off', { workloadIdentity: false }, 'AKS-WORKLOAD-IDENTITY'],
    ['OIDC issuer off', { oidcIssuer: undefined }, 'AKS-WORKLOAD-IDENTITY'],
    ['policy add-on off', { addons: { ...compliantCluster().addons, azurepolicy: { enabled: false, config: {} } } }, 'AKS-AZURE-POLICY'],
    ['Key Vault CSI missing', { addons: { azurepolicy: { enabled: true, config: {} }, omsagent: { enabled: true, config: {} } } }, 'AKS-KEYVAULT-CSI'],
    ['Defender missing', { defenderMonitoring: undefined }, 'AKS-DEFENDER'],
    ['upgrade channel none', { upgradeChannel: 'none' }, 'AKS-AUTO-UPGRADE'],
    ['upgrade channel missing', { upgradeChannel: undefined }, 'AKS-AUTO-UPGRADE'],
    ['node OS Unmanaged', { nodeOsUpgradeChannel: 'Unmanaged' }, 'AKS-NODE-OS-UPGRADE'],
    ['node OS None', { nodeOsUpgradeChannel: 'None' }, 'AKS-NODE-OS-UPGRADE'],
    ['provisioning failed', { provisioningState: 'Failed' }, 'AKS-PROVISIONING-FAILED'],
  ];
  it.each(cases)('%s fires exactly %s', (_label, overrides, expected) => {
    expect(ruleIds(compliantCluster(overrides))).toEqual([expected]);
  });

  const passing: Array<[string, Partial<Cluster>]> = [
    ['public API with authorized ranges', { privateCluster: false, authorizedIpRanges: ['203.0.113.0/24'] }],
    ['network policy calico (any case)', { networkPolicy: 'Calico' }],
    ['network policy azure', { networkPolicy: 'azure' }],
    ['node OS SecurityPatch', { nodeOsUpgradeChannel: 'SecurityPatch' }],
    ['upgrade channel patch', { upgradeChannel: 'patch' }],
    ['provisioning Updating', { provisioningState: 'Updating' }],
  ];
  it.each(passing)('%s does not fire', (_label, overrides) => {
    expect(ruleIds(compliantCluster(overrides))).toEqual([]);
  });

  it('details name the cluster and give a concrete fix', () => {
    const cluster = compliantCluster({ disableLocalAccounts: false, name: 'web-dev', resourceGroup: 'web' });
    const [finding] = evaluateCluster(cluster, undefined).findings;
    expect(finding?.detail).toContain('web-dev');
    expect(finding?.detail).toContain('az aks update -g web -n web-dev --disable-local-accounts');
  });

  it('fingerprints are stable per rule and cluster, and differ across clusters and rules', () => {
    const broken = { disableLocalAccounts: false, enableRbac: false } as const;
    const first = evaluateCluster(compliantCluster(broken), undefined).findings;
    const again = evaluateCluster(compliantCluster(broken), undefined).findings;
    const upper = evaluateCluster(compliantCluster({ ...broken, id: compliantCluster().id.toUpperCase() }), undefined).findings;
    const other = evaluateCluster(compliantCluster({ ...broken, id: compliantCluster().id.replace('/good', '/other') }), undefined).findings;
    expect(first.map((f) => f.fingerprint)).toEqual(again.map((f) => f.fingerprint));
    // ARM ids are case-insensitive, so case must not split a finding in two.
    expect(first.map((f) => f.fingerprint)).toEqual(upper.map((f) => f.fingerprint));
    expect(new Set([...first, ...other].map((f) => f.fingerprint)).size).toBe(4);
  });

  it('the security baseline covers 13 rules', () => {
    expect(SECURITY_BASELINE_RULES.map((rule) => rule.id)).toHaveLength(13);
  });
});
