/**
 * The in-cluster namespace rules of CONTRACTS.md §5: a default-deny ingress policy, a Pod Security
 * Standards level, and no API token mounted by default. Only user namespaces are judged.
 */
import { shellWord } from '../shellWord.js';
import type { K8sRule, K8sRuleHit } from './k8sRule.js';
import type { NetworkPolicy } from './objects.js';
import { kubectl, systemNamespaces } from './terms.js';

const POLICY_ENGINES = new Set(['azure', 'calico', 'cilium']);
const PSS_ENFORCE = 'pod-security.kubernetes.io/enforce';

/**
 * The policy types a NetworkPolicy applies. The API server fills `policyTypes` in on create when it
 * is left out (`Ingress`, plus `Egress` when there are egress rules: SetDefaults_NetworkPolicy,
 * kubernetes/pkg/apis/networking/v1/defaults.go), so a hand-written file without it means the same.
 */
function policyTypesOf(policy: NetworkPolicy): string[] {
  const types = policy.spec.policyTypes;
  if (types !== undefined && types !== null && types.length > 0) return types;
  return policy.spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** Selects every pod of its namespace, applies to ingress, and allows none: a default deny. */
export function isDefaultDenyIngress(policy: NetworkPolicy): boolean {
  const selector = policy.spec.podSelector;
  return (
    Object.keys(selector.matchLabels).length === 0 &&
    selector.matchExpressions.length === 0 &&
    policyTypesOf(policy).includes('Ingress') &&
    policy.spec.ingress.length === 0
  );
}

const DEFAULT_DENY_INGRESS = JSON.stringify({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'default-deny-ingress' },
  spec: { podSelector: {}, policyTypes: ['Ingress'] },
});

export const K8S_NAMESPACE_NO_DEFAULT_DENY: K8sRule = {
  id: 'K8S-NAMESPACE-NO-DEFAULT-DENY',
  frameworks: { 'cis-aks': ['4.4.2'], kubescape: ['C-0206', 'C-0030', 'C-0054'], nsa: ['C-0030', 'C-0054'] },
  severity: 'medium',
  title: 'Namespace has no default-deny network policy',
  practice: 'Network policies, deny by default',
  group: 'network',
  docUrl: 'https://learn.microsoft.com/azure/aks/use-network-policies',
  needs: ['namespaces', 'networkpolicies'],
  evaluate: ({ cluster, objects }) => {
    // Without an engine NetworkPolicies are not enforced: AKS-NETWORK-POLICY reports that instead.
    if (!POLICY_ENGINES.has((cluster.networkPolicy ?? '').toLowerCase())) return [];
    const isSystem = systemNamespaces(objects.namespaces);
    const denying = new Set(objects.networkpolicies.filter(isDefaultDenyIngress).map((policy) => policy.metadata.namespace ?? ''));
    return objects.namespaces
      .map((namespace) => namespace.metadata.name)
      .filter((name) => !isSystem(name) && !denying.has(name))
      .map((name): K8sRuleHit => ({
        subject: name,
        detail: `Namespace ${name} on cluster ${cluster.name} has no NetworkPolicy that selects every pod and denies ingress, so any pod in the cluster can reach its pods.`,
        fix: `echo ${shellWord(DEFAULT_DENY_INGRESS)} | ${kubectl(cluster)} -n ${shellWord(name)} apply -f - (then allow the traffic each workload needs)`,
      }));
  },
};

export const K8S_NAMESPACE_NO_PSS: K8sRule = {
  id: 'K8S-NAMESPACE-NO-PSS',
  frameworks: { 'cis-aks': ['4.2.1'] },
  severity: 'medium',
  title: 'Namespace enforces no Pod Security Standard',
  practice: 'Pod security',
  group: 'workload',
  docUrl: 'https://learn.microsoft.com/azure/aks/use-psa',
  needs: ['namespaces'],
  evaluate: ({ cluster, objects }) => {
    const isSystem = systemNamespaces(objects.namespaces);
    return objects.namespaces
      .filter((namespace) => !isSystem(namespace.metadata.name))
      .filter((namespace) => {
        const level = namespace.metadata.labels[PSS_ENFORCE];
        return level === undefined || level === 'privileged';
      })
      .map((namespace): K8sRuleHit => {
        const name = namespace.metadata.name;
        const level = namespace.metadata.labels[PSS_ENFORCE];
        return {
          subject: name,
          detail: `Namespace ${name} on cluster ${cluster.name} ${level === undefined ? `has no ${PSS_ENFORCE} label` : `enforces the privileged level`}, so Pod Security Admission admits privileged and host-mounting pods there.`,
          fix: `${kubectl(cluster)} label --overwrite namespace ${shellWord(name)} ${PSS_ENFORCE}=baseline (or restricted; try it first with --dry-run=server to see which pods it would refuse)`,
        };
      });
  },
};

export const K8S_DEFAULT_SA_AUTOMOUNT: K8sRule = {
  id: 'K8S-DEFAULT-SA-AUTOMOUNT',
  frameworks: { 'cis-aks': ['4.1.5', '4.1.6'], kubescape: ['C-0189', 'C-0190', 'C-0034'], nsa: ['C-0034'] },
  severity: 'low',
  title: 'The default ServiceAccount mounts an API token into every pod',
  practice: 'Workload identity',
  group: 'identity',
  docUrl: 'https://learn.microsoft.com/azure/aks/operator-best-practices-cluster-security',
  needs: ['namespaces', 'serviceaccounts'],
  evaluate: ({ cluster, objects }) => {
    const isSystem = systemNamespaces(objects.namespaces);
    return objects.serviceaccounts
      .filter((account) => account.metadata.name === 'default' && account.automountServiceAccountToken !== false)
      .map((account) => account.metadata.namespace ?? '')
      .filter((namespace) => namespace !== '' && !isSystem(namespace))
      .map((namespace): K8sRuleHit => ({
        subject: namespace,
        detail: `The default ServiceAccount of namespace ${namespace} on cluster ${cluster.name} does not set automountServiceAccountToken: false, so every pod that names no ServiceAccount carries a Kubernetes API token it does not need.`,
        fix: `${kubectl(cluster)} -n ${shellWord(namespace)} patch serviceaccount default -p '{"automountServiceAccountToken":false}'`,
      }));
  },
};

export const NAMESPACE_RULES: readonly K8sRule[] = [K8S_NAMESPACE_NO_DEFAULT_DENY, K8S_NAMESPACE_NO_PSS, K8S_DEFAULT_SA_AUTOMOUNT];
