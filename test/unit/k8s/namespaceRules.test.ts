import { describe, expect, it } from 'vitest';

import type { K8sRule } from '../../../lib/k8s/k8sRule.js';
import { K8S_DEFAULT_SA_AUTOMOUNT, K8S_NAMESPACE_NO_DEFAULT_DENY, K8S_NAMESPACE_NO_PSS } from '../../../lib/k8s/namespaceRules.js';
import type { Cluster } from '../../../lib/model/cluster.js';
import { compliantCluster } from '../../harness/clusters.js';
import { kubernetesObjects, namespace, networkPolicy, serviceAccount } from '../../harness/kubernetes.js';

type Raw = Parameters<typeof kubernetesObjects>[0];

function subjects(rule: K8sRule, raw: Raw, cluster: Cluster = compliantCluster()): string[] {
  return rule.evaluate({ cluster, objects: kubernetesObjects(raw) }).map((hit) => hit.subject);
}

const RESTRICTED = { 'pod-security.kubernetes.io/enforce': 'restricted' };
/** Every system namespace of §5, by name, plus one AKS labels as its own. */
const SYSTEM = [
  ...['kube-system', 'kube-public', 'kube-node-lease', 'gatekeeper-system', 'calico-system', 'tigera-operator', 'aks-command', 'app-routing-system'].map(
    (name) => namespace(name),
  ),
  namespace('aks-istio-system', { 'kubernetes.azure.com/managedby': 'aks' }),
];

describe('K8S-NAMESPACE-NO-DEFAULT-DENY', () => {
  const denyAll = (ns: string, spec: Record<string, unknown> = {}) => networkPolicy(ns, 'deny', { podSelector: {}, policyTypes: ['Ingress'], ...spec });

  it('reports user namespaces (default included, system ones not) without a policy selecting every pod that denies ingress', () => {
    expect(
      subjects(K8S_NAMESPACE_NO_DEFAULT_DENY, {
        namespaces: [
          ...SYSTEM,
          namespace('default'),
          namespace('checkout'),
          namespace('reporting'),
          namespace('labelled-by-someone', { 'kubernetes.azure.com/managedby': 'helm' }),
        ],
        networkpolicies: [denyAll('checkout')],
      }),
    ).toEqual(['default', 'reporting', 'labelled-by-someone']);
  });

  it('a policy that selects some pods, allows some ingress, or is egress-only is no default deny', () => {
    const raw: Raw = {
      namespaces: [namespace('a'), namespace('b'), namespace('c'), namespace('d'), namespace('e'), namespace('f')],
      networkpolicies: [
        denyAll('a', { podSelector: { matchLabels: { app: 'web' } } }),
        denyAll('b', { podSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } }),
        // `ingress: [{}]` allows everything.
        denyAll('c', { ingress: [{}] }),
        denyAll('d', { policyTypes: ['Egress'] }),
        // Empty selectors and an empty rule list are the same as none: these deny.
        denyAll('e', { podSelector: { matchLabels: {}, matchExpressions: [] }, ingress: [], policyTypes: ['Ingress', 'Egress'] }),
        // Without policyTypes the API server defaults to Ingress (SetDefaults_NetworkPolicy): deny.
        networkPolicy('f', 'deny', { podSelector: {} }),
      ],
    };
    expect(subjects(K8S_NAMESPACE_NO_DEFAULT_DENY, raw)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a policy of another namespace does not cover this one', () => {
    expect(subjects(K8S_NAMESPACE_NO_DEFAULT_DENY, { namespaces: [namespace('a'), namespace('b')], networkpolicies: [denyAll('b')] })).toEqual(['a']);
  });

  it('is silent without a network policy engine (AKS-NETWORK-POLICY says so), any engine spelling counts', () => {
    const raw: Raw = { namespaces: [namespace('a')] };
    expect(subjects(K8S_NAMESPACE_NO_DEFAULT_DENY, raw, compliantCluster({ networkPolicy: undefined }))).toEqual([]);
    expect(subjects(K8S_NAMESPACE_NO_DEFAULT_DENY, raw, compliantCluster({ networkPolicy: 'none' }))).toEqual([]);
    for (const engine of ['azure', 'Calico', 'cilium'])
      expect(subjects(K8S_NAMESPACE_NO_DEFAULT_DENY, raw, compliantCluster({ networkPolicy: engine }))).toEqual(['a']);
  });
});

describe('K8S-NAMESPACE-NO-PSS', () => {
  it('reports user namespaces without an enforce label or enforcing privileged; warn and audit labels do not count', () => {
    expect(
      subjects(K8S_NAMESPACE_NO_PSS, {
        namespaces: [
          ...SYSTEM,
          namespace('default', { 'pod-security.kubernetes.io/enforce': 'baseline' }),
          namespace('checkout', RESTRICTED),
          namespace('reporting'),
          namespace('legacy', { 'pod-security.kubernetes.io/enforce': 'privileged' }),
          namespace('warned', { 'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/audit': 'restricted' }),
        ],
      }),
    ).toEqual(['reporting', 'legacy', 'warned']);
  });

  it('a namespace without labels at all (null, as hand-made files have) is reported', () => {
    const bare = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bare', labels: null } };
    expect(subjects(K8S_NAMESPACE_NO_PSS, { namespaces: [bare] })).toEqual(['bare']);
  });
});

describe('K8S-DEFAULT-SA-AUTOMOUNT', () => {
  it('reports the default ServiceAccount of user namespaces unless it sets automountServiceAccountToken: false', () => {
    expect(
      subjects(K8S_DEFAULT_SA_AUTOMOUNT, {
        namespaces: [...SYSTEM, namespace('default'), namespace('a'), namespace('b'), namespace('c')],
        serviceaccounts: [
          serviceAccount('kube-system', 'default'),
          serviceAccount('aks-istio-system', 'default'),
          serviceAccount('default', 'default', { automountServiceAccountToken: false }),
          serviceAccount('a', 'default'),
          serviceAccount('b', 'default', { automountServiceAccountToken: true }),
          // Another account of c does not matter; c's default is fine.
          serviceAccount('c', 'builder'),
          serviceAccount('c', 'default', { automountServiceAccountToken: false }),
        ],
      }),
    ).toEqual(['a', 'b']);
  });

  it('judges a namespace whose object was not listed by its name', () => {
    expect(
      subjects(K8S_DEFAULT_SA_AUTOMOUNT, { namespaces: [], serviceaccounts: [serviceAccount('kube-public', 'default'), serviceAccount('team', 'default')] }),
    ).toEqual(['team']);
  });

  it('its fix is a patch with the namespace quoted', () => {
    const [hit] = K8S_DEFAULT_SA_AUTOMOUNT.evaluate({
      cluster: compliantCluster(),
      objects: kubernetesObjects({ serviceaccounts: [serviceAccount('a b', 'default')] }),
    });
    expect(hit?.fix).toBe(`kubectl --context good -n 'a b' patch serviceaccount default -p '{"automountServiceAccountToken":false}'`);
  });
});
