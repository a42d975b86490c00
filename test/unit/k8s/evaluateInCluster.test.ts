import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { evaluateInCluster, K8S_RULES } from '../../../lib/k8s/evaluateInCluster.js';
import { type KubernetesObjects, parseKubernetesList } from '../../../lib/k8s/objects.js';
import { type Cluster, parseResourceId } from '../../../lib/model/cluster.js';
import { KUBERNETES_RESOURCES } from '../../../lib/model/inCluster.js';
import { compliantCluster } from '../../harness/clusters.js';
import { projectRoot } from '../../harness/fixtures.js';
import { clusterRoleBinding, kubernetesObjects, namespace } from '../../harness/kubernetes.js';

const SAMPLE = path.join(projectRoot, 'test', 'fixtures', 'fleet-sample-k8s');

describe('evaluateInCluster', () => {
  it('runs a rule only when every resource it needs was read; the others are not evaluated (and so resolve nothing)', () => {
    const objects: KubernetesObjects = kubernetesObjects({ namespaces: [namespace('team')] });
    delete objects.pods;
    delete objects.serviceaccounts;
    delete objects.networkpolicies;
    const { findings, evaluatedRuleIds } = evaluateInCluster(compliantCluster(), objects);
    expect(evaluatedRuleIds).toEqual([
      'K8S-CLUSTER-ADMIN-BINDING',
      'K8S-ANONYMOUS-BINDING',
      'K8S-BINDING-GROUP-NAME',
      'K8S-WILDCARD-ROLE',
      'K8S-NAMESPACE-NO-PSS',
    ]);
    expect(findings.map((finding) => [finding.ruleId, finding.subject])).toEqual([['K8S-NAMESPACE-NO-PSS', 'team']]);
    expect(evaluateInCluster(compliantCluster(), {}).evaluatedRuleIds).toEqual([]);
  });

  it('findings carry the subject in their fingerprint, the per-subject severity, and the fix in the detail', () => {
    const objects = kubernetesObjects({
      clusterrolebindings: [
        clusterRoleBinding('b', 'cluster-admin', [
          { kind: 'User', name: 'alice' },
          { kind: 'Group', name: 'system:authenticated' },
        ]),
      ],
    });
    const [alice, everyone] = evaluateInCluster(compliantCluster(), objects).findings;
    expect([alice?.severity, everyone?.severity]).toEqual(['high', 'critical']);
    expect(alice?.fingerprint).not.toBe(everyone?.fingerprint);
    expect(alice?.detail).toContain('Fix: az aks get-credentials');
  });

  it('every rule names the resources it reads', () => {
    for (const rule of K8S_RULES) {
      expect(rule.needs.length, rule.id).toBeGreaterThan(0);
      for (const resource of rule.needs) expect(KUBERNETES_RESOURCES, rule.id).toContain(resource);
    }
  });

  it('finds exactly the expected K8S findings of the in-cluster sample (CONTRACTS.md §5)', () => {
    const arm = JSON.parse(readFileSync(path.join(SAMPLE, 'managedClusters.json'), 'utf8')) as {
      value: Array<{ id: string; name: string; properties: { aadProfile?: { managed?: boolean }; networkProfile?: { networkPolicy?: string } } }>;
    };
    const found: string[][] = [];
    for (const resource of arm.value) {
      const { subscriptionId, resourceGroup, name } = parseResourceId(resource.id);
      const folder = path.join(SAMPLE, 'kubernetes', subscriptionId!, resourceGroup!, name!);
      let objects;
      try {
        objects = Object.fromEntries(
          KUBERNETES_RESOURCES.map((kind) => [kind, parseKubernetesList(kind, JSON.parse(readFileSync(path.join(folder, `${kind}.json`), 'utf8')), kind)]),
        );
      } catch {
        continue;
      }
      const cluster: Cluster = compliantCluster({
        id: resource.id,
        name: resource.name,
        aadManaged: resource.properties.aadProfile?.managed,
        networkPolicy: resource.properties.networkProfile?.networkPolicy,
      });
      for (const finding of evaluateInCluster(cluster, objects).findings) found.push([finding.resourceId, finding.ruleId, finding.subject!, finding.severity]);
    }
    const expected = JSON.parse(readFileSync(path.join(projectRoot, 'test', 'fixtures', 'fleet-sample-k8s.expected.json'), 'utf8')) as string[][];
    expect(found.sort()).toEqual(expected.sort());
  });
});
