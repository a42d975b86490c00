import { describe, expect, it } from 'vitest';

import type { K8sRule } from '../../../lib/k8s/k8sRule.js';
import { K8S_PRIVILEGED_POD, K8S_WORKLOAD_IDENTITY_POD } from '../../../lib/k8s/podRules.js';
import { compliantCluster } from '../../harness/clusters.js';
import { kubernetesObjects, namespace, pod, serviceAccount } from '../../harness/kubernetes.js';

type Raw = Parameters<typeof kubernetesObjects>[0];

function subjects(rule: K8sRule, raw: Raw): string[] {
  return rule.evaluate({ cluster: compliantCluster(), objects: kubernetesObjects(raw) }).map((hit) => hit.subject);
}

const replicaSet = (name: string) => ({ kind: 'ReplicaSet', name });

describe('K8S-PRIVILEGED-POD', () => {
  const privileged = { containers: [{ name: 'main', securityContext: { privileged: true } }] };

  it('reports one finding per owner, in user namespaces only', () => {
    expect(
      subjects(K8S_PRIVILEGED_POD, {
        namespaces: [namespace('kube-system'), namespace('frontend'), namespace('mesh', { 'kubernetes.azure.com/managedby': 'aks' })],
        pods: [
          pod('kube-system', 'kube-proxy-1', { owner: { kind: 'DaemonSet', name: 'kube-proxy' }, spec: { ...privileged, hostNetwork: true } }),
          pod('mesh', 'proxy-1', { owner: { kind: 'DaemonSet', name: 'proxy' }, spec: privileged }),
          pod('frontend', 'web-6d8f7-2kx9p', { owner: replicaSet('web-6d8f7'), spec: privileged }),
          pod('frontend', 'web-6d8f7-8zq1m', { owner: replicaSet('web-6d8f7'), spec: privileged }),
          pod('frontend', 'api-1', { owner: replicaSet('api') }),
        ],
      }),
    ).toEqual(['frontend/ReplicaSet/web-6d8f7']);
  });

  it('counts init and ephemeral containers, host namespaces and hostPath volumes; a bare pod is its own owner', () => {
    expect(
      subjects(K8S_PRIVILEGED_POD, {
        namespaces: [namespace('a')],
        pods: [
          pod('a', 'init', { spec: { initContainers: [{ name: 'setup', securityContext: { privileged: true } }] } }),
          pod('a', 'debug', { spec: { ephemeralContainers: [{ name: 'debugger', securityContext: { privileged: true } }] } }),
          pod('a', 'net', { spec: { hostNetwork: true } }),
          pod('a', 'pid', { spec: { hostPID: true } }),
          pod('a', 'ipc', { spec: { hostIPC: true } }),
          pod('a', 'mount', { spec: { volumes: [{ name: 'logs', hostPath: { path: '/var/log', type: '' } }] } }),
          pod('a', 'fine', {
            spec: { hostNetwork: false, volumes: [{ name: 'tmp', emptyDir: {} }], containers: [{ name: 'c', securityContext: { privileged: false } }] },
          }),
        ],
      }),
    ).toEqual(['a/Pod/init', 'a/Pod/debug', 'a/Pod/net', 'a/Pod/pid', 'a/Pod/ipc', 'a/Pod/mount']);
  });

  it('an owner reference that is not the controller does not make the owner', () => {
    expect(
      subjects(K8S_PRIVILEGED_POD, {
        namespaces: [namespace('a')],
        pods: [pod('a', 'p', { owner: { kind: 'ReplicaSet', name: 'rs', controller: false }, spec: { hostPID: true } })],
      }),
    ).toEqual(['a/Pod/p']);
  });

  it('one privileged pod of an owner is enough', () => {
    expect(
      subjects(K8S_PRIVILEGED_POD, {
        namespaces: [namespace('a')],
        pods: [pod('a', 'p1', { owner: replicaSet('rs') }), pod('a', 'p2', { owner: replicaSet('rs'), spec: { hostIPC: true } })],
      }),
    ).toEqual(['a/ReplicaSet/rs']);
  });
});

describe('K8S-WORKLOAD-IDENTITY-POD', () => {
  const federated = (ns: string, name: string) => serviceAccount(ns, name, {}, { 'azure.workload.identity/client-id': '00000000-0000-0000-0000-000000000001' });
  const useLabel = { 'azure.workload.identity/use': 'true' };

  it('reports owners whose pods run as a federated ServiceAccount without the use label', () => {
    expect(
      subjects(K8S_WORKLOAD_IDENTITY_POD, {
        namespaces: [namespace('kube-system'), namespace('pay'), namespace('other')],
        serviceaccounts: [federated('pay', 'payer'), federated('kube-system', 'addon'), serviceAccount('pay', 'plain'), federated('other', 'default')],
        pods: [
          pod('pay', 'half-1', { owner: replicaSet('half'), spec: { serviceAccountName: 'payer' } }),
          pod('pay', 'whole-1', { owner: replicaSet('whole'), labels: useLabel, spec: { serviceAccountName: 'payer' } }),
          pod('pay', 'string-false', {
            owner: replicaSet('wrong-label'),
            labels: { 'azure.workload.identity/use': 'false' },
            spec: { serviceAccountName: 'payer' },
          }),
          pod('pay', 'plain-1', { owner: replicaSet('plain'), spec: { serviceAccountName: 'plain' } }),
          pod('kube-system', 'addon-1', { owner: replicaSet('addon'), spec: { serviceAccountName: 'addon' } }),
          // No serviceAccountName: the pod runs as `default`, which is federated in `other`.
          pod('other', 'implicit', { owner: replicaSet('implicit') }),
          // The account is looked up in the pod's own namespace: `payer` does not exist in `other`.
          pod('other', 'elsewhere', { owner: replicaSet('elsewhere'), spec: { serviceAccountName: 'payer' } }),
        ],
      }),
    ).toEqual(['pay/ReplicaSet/half', 'pay/ReplicaSet/wrong-label', 'other/ReplicaSet/implicit']);
  });

  it('reads the deprecated serviceAccount field when serviceAccountName is absent', () => {
    expect(
      subjects(K8S_WORKLOAD_IDENTITY_POD, {
        namespaces: [namespace('pay')],
        serviceaccounts: [federated('pay', 'payer')],
        pods: [pod('pay', 'old', { spec: { serviceAccount: 'payer' } })],
      }),
    ).toEqual(['pay/Pod/old']);
  });
});
