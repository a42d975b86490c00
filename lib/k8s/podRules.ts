/**
 * The in-cluster pod rules of CONTRACTS.md §5, one finding per owner (a Deployment's hundred pods
 * are one thing to fix). Only pods of user namespaces are judged.
 */
import { shellWord } from '../shellWord.js';
import type { K8sRule, K8sRuleHit } from './k8sRule.js';
import type { Pod } from './objects.js';
import { kubectl, ownerOf, systemNamespaces } from './terms.js';

const CLIENT_ID = 'azure.workload.identity/client-id';
const USE_LABEL = 'azure.workload.identity/use';

/** What makes a pod privileged or lets it reach the node; empty when nothing does. */
export function hostAccessOf(pod: Pod): string[] {
  const spec = pod.spec;
  const privileged = [...spec.containers, ...spec.initContainers, ...spec.ephemeralContainers]
    .filter((container) => container.securityContext?.privileged === true)
    .map((container) => `privileged container ${container.name}`);
  return [
    ...privileged,
    ...(spec.hostNetwork === true ? ['hostNetwork'] : []),
    ...(spec.hostPID === true ? ['hostPID'] : []),
    ...(spec.hostIPC === true ? ['hostIPC'] : []),
    ...spec.volumes
      .filter((volume) => volume.hostPath !== undefined && volume.hostPath !== null)
      .map((volume) => `hostPath volume ${volume.name} (${volume.hostPath?.path ?? ''})`),
  ];
}

/** Pods of user namespaces grouped by `{namespace}/{owner}`, in first-seen order. */
function userPodsByOwner(pods: readonly Pod[], isSystem: (namespace: string) => boolean): Map<string, { namespace: string; owner: string; pods: Pod[] }> {
  const byOwner = new Map<string, { namespace: string; owner: string; pods: Pod[] }>();
  for (const pod of pods) {
    const namespace = pod.metadata.namespace ?? '';
    if (namespace === '' || isSystem(namespace)) continue;
    const owner = ownerOf(pod);
    const key = `${namespace}/${owner}`;
    const entry = byOwner.get(key) ?? { namespace, owner, pods: [] };
    entry.pods.push(pod);
    byOwner.set(key, entry);
  }
  return byOwner;
}

export const K8S_PRIVILEGED_POD: K8sRule = {
  id: 'K8S-PRIVILEGED-POD',
  frameworks: {
    'cis-aks': ['4.2.1', '4.2.2', '4.2.3', '4.2.4'],
    kubescape: ['C-0213', 'C-0214', 'C-0215', 'C-0216', 'C-0057', 'C-0038', 'C-0041', 'C-0048'],
    nsa: ['C-0057', 'C-0038', 'C-0041'],
  },
  severity: 'high',
  title: 'A workload runs privileged or with host access',
  practice: 'Pod security',
  group: 'workload',
  docUrl: 'https://learn.microsoft.com/azure/aks/developer-best-practices-pod-security',
  needs: ['namespaces', 'pods'],
  evaluate: ({ cluster, objects }) => {
    const hits: K8sRuleHit[] = [];
    for (const [subject, { namespace, owner, pods }] of userPodsByOwner(objects.pods, systemNamespaces(objects.namespaces))) {
      const access = [...new Set(pods.flatMap(hostAccessOf))];
      if (access.length === 0) continue;
      hits.push({
        subject,
        detail: `${owner} in namespace ${namespace} on cluster ${cluster.name} runs pods with ${access.join(', ')}: a compromise of the container is a compromise of the node.`,
        fix: `${kubectl(cluster)} -n ${shellWord(namespace)} edit ${shellWord(owner)} (for a ReplicaSet, its Deployment: drop privileged, hostNetwork, hostPID, hostIPC and hostPath), then ${kubectl(cluster)} label --overwrite namespace ${shellWord(namespace)} pod-security.kubernetes.io/enforce=baseline`,
      });
    }
    return hits;
  },
};

export const K8S_WORKLOAD_IDENTITY_POD: K8sRule = {
  id: 'K8S-WORKLOAD-IDENTITY-POD',
  frameworks: {},
  severity: 'medium',
  title: 'Workload identity is wired half-way: the pod gets no federated token',
  practice: 'Workload identity',
  group: 'identity',
  docUrl: 'https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster',
  needs: ['namespaces', 'pods', 'serviceaccounts'],
  evaluate: ({ cluster, objects }) => {
    const federated = new Set(
      objects.serviceaccounts
        .filter((account) => account.metadata.annotations[CLIENT_ID] !== undefined)
        .map((account) => `${account.metadata.namespace ?? ''}/${account.metadata.name}`),
    );
    const hits: K8sRuleHit[] = [];
    for (const [subject, { namespace, owner, pods }] of userPodsByOwner(objects.pods, systemNamespaces(objects.namespaces))) {
      const halfWired = pods.find((pod) => {
        const account = pod.spec.serviceAccountName || pod.spec.serviceAccount || 'default';
        return federated.has(`${namespace}/${account}`) && pod.metadata.labels[USE_LABEL] !== 'true';
      });
      if (halfWired === undefined) continue;
      const account = halfWired.spec.serviceAccountName || halfWired.spec.serviceAccount || 'default';
      hits.push({
        subject,
        detail: `${owner} in namespace ${namespace} on cluster ${cluster.name} runs as ServiceAccount ${account}, which carries ${CLIENT_ID}, but its pods lack the label ${USE_LABEL}: "true", so the workload identity webhook injects no federated token and the workload cannot reach Azure as intended.`,
        fix: `${kubectl(cluster)} -n ${shellWord(namespace)} patch ${shellWord(owner)} --type merge -p '{"spec":{"template":{"metadata":{"labels":{"${USE_LABEL}":"true"}}}}}' (for a ReplicaSet, patch its Deployment)`,
      });
    }
    return hits;
  },
};

export const POD_RULES: readonly K8sRule[] = [K8S_PRIVILEGED_POD, K8S_WORKLOAD_IDENTITY_POD];
