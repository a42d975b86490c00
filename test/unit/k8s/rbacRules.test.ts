import { describe, expect, it } from 'vitest';

import type { K8sRule } from '../../../lib/k8s/k8sRule.js';
import { K8S_ANONYMOUS_BINDING, K8S_BINDING_GROUP_NAME, K8S_CLUSTER_ADMIN_BINDING, K8S_WILDCARD_ROLE } from '../../../lib/k8s/rbacRules.js';
import type { Cluster } from '../../../lib/model/cluster.js';
import { compliantCluster } from '../../harness/clusters.js';
import { clusterRole, clusterRoleBinding, kubernetesObjects, role, roleBinding } from '../../harness/kubernetes.js';

type Raw = Parameters<typeof kubernetesObjects>[0];

function hits(rule: K8sRule, raw: Raw, cluster: Cluster = compliantCluster()): Array<[string, string | undefined]> {
  return rule.evaluate({ cluster, objects: kubernetesObjects(raw) }).map((hit) => [hit.subject, hit.severity]);
}

const WILDCARD = { apiGroups: ['*'], resources: ['*'], verbs: ['*'] };

describe('K8S-CLUSTER-ADMIN-BINDING', () => {
  it('reports each subject of a user binding to cluster-admin except system:masters, high by default', () => {
    expect(
      hits(K8S_CLUSTER_ADMIN_BINDING, {
        clusterrolebindings: [
          clusterRoleBinding('sre-admins', 'cluster-admin', [
            { kind: 'Group', name: 'system:masters' },
            { kind: 'Group', name: '7f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1f' },
            { kind: 'User', name: 'alice@contoso.com' },
          ]),
        ],
      }),
    ).toEqual([
      ['sre-admins/Group:7f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1f', 'high'],
      ['sre-admins/User:alice@contoso.com', 'high'],
    ]);
  });

  it('is critical for everyone, anonymous callers and any namespace default ServiceAccount', () => {
    expect(
      hits(K8S_CLUSTER_ADMIN_BINDING, {
        clusterrolebindings: [
          clusterRoleBinding('oops', 'cluster-admin', [
            { kind: 'Group', name: 'system:authenticated' },
            { kind: 'Group', name: 'system:unauthenticated' },
            { kind: 'User', name: 'system:anonymous' },
            { kind: 'ServiceAccount', name: 'default', namespace: 'ci' },
            { kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' },
            // The same name as another kind is not "anyone".
            { kind: 'User', name: 'system:authenticated' },
          ]),
        ],
      }),
    ).toEqual([
      ['oops/Group:system:authenticated', 'critical'],
      ['oops/Group:system:unauthenticated', 'critical'],
      ['oops/User:system:anonymous', 'critical'],
      ['oops/ServiceAccount:default', 'critical'],
      ['oops/ServiceAccount:deployer', 'high'],
      ['oops/User:system:authenticated', 'high'],
    ]);
  });

  it('ignores platform bindings (system:, aks-), other roles, RoleBindings and a namespaced Role named cluster-admin', () => {
    expect(
      hits(K8S_CLUSTER_ADMIN_BINDING, {
        clusterrolebindings: [
          clusterRoleBinding('aks-cluster-admin-binding', 'cluster-admin', [{ kind: 'User', name: 'clusterAdmin' }]),
          clusterRoleBinding('system:whatever', 'cluster-admin', [{ kind: 'User', name: 'x' }]),
          clusterRoleBinding('viewers', 'view', [{ kind: 'User', name: 'bob' }]),
          // A name that merely contains the prefix is a user binding.
          clusterRoleBinding('my-aks-admins', 'cluster-admin', [{ kind: 'User', name: 'carol' }]),
        ],
        rolebindings: [roleBinding('team', 'ns-admin', { kind: 'ClusterRole', name: 'cluster-admin' }, [{ kind: 'User', name: 'dave' }])],
      }),
    ).toEqual([['my-aks-admins/User:carol', 'high']]);
  });

  it('reports a subject listed twice once, at its worst', () => {
    expect(
      hits(K8S_CLUSTER_ADMIN_BINDING, {
        clusterrolebindings: [
          clusterRoleBinding('twice', 'cluster-admin', [
            { kind: 'ServiceAccount', name: 'default', namespace: 'a' },
            { kind: 'ServiceAccount', name: 'default', namespace: 'b' },
          ]),
        ],
      }),
    ).toEqual([['twice/ServiceAccount:default', 'critical']]);
  });

  it('a binding without subjects (null, as the API server may return) fires nothing', () => {
    const binding = { ...clusterRoleBinding('empty', 'cluster-admin', []), subjects: null };
    expect(hits(K8S_CLUSTER_ADMIN_BINDING, { clusterrolebindings: [binding] })).toEqual([]);
  });

  it('its fix quotes every value it pastes', () => {
    const cluster = compliantCluster({ name: "prod's", resourceGroup: 'rg $(id)' });
    const [hit] = K8S_CLUSTER_ADMIN_BINDING.evaluate({
      cluster,
      objects: kubernetesObjects({ clusterrolebindings: [clusterRoleBinding('a;b', 'cluster-admin', [{ kind: 'User', name: 'u' }])] }),
    });
    expect(hit?.fix).toContain(`kubectl --context 'prod'\\''s' edit clusterrolebinding 'a;b'`);
    expect(hit?.fix).toContain(`--resource-group 'rg $(id)'`);
  });
});

describe('K8S-ANONYMOUS-BINDING', () => {
  it('reports a user binding, cluster or namespaced, to any role for system:anonymous or system:unauthenticated', () => {
    expect(
      hits(K8S_ANONYMOUS_BINDING, {
        clusterrolebindings: [
          clusterRoleBinding('anon-view', 'view', [{ kind: 'User', name: 'system:anonymous' }]),
          clusterRoleBinding('everyone-view', 'view', [{ kind: 'Group', name: 'system:authenticated' }]),
          // Platform binding (the Kubernetes default for /version, /healthz): exempt.
          clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', [{ kind: 'Group', name: 'system:unauthenticated' }]),
        ],
        rolebindings: [roleBinding('web', 'open', { kind: 'Role', name: 'reader' }, [{ kind: 'Group', name: 'system:unauthenticated' }])],
      }),
    ).toEqual([
      ['-/anon-view', undefined],
      ['web/open', undefined],
    ]);
  });

  it('leaves a ClusterRoleBinding to cluster-admin to the rule above, but reports a RoleBinding to it (that rule does not see it)', () => {
    const anonymous = [{ kind: 'User' as const, name: 'system:anonymous' }];
    const raw: Raw = {
      clusterrolebindings: [clusterRoleBinding('anon-admin', 'cluster-admin', anonymous)],
      rolebindings: [roleBinding('web', 'anon-ns-admin', { kind: 'ClusterRole', name: 'cluster-admin' }, anonymous)],
    };
    expect(hits(K8S_ANONYMOUS_BINDING, raw)).toEqual([['web/anon-ns-admin', undefined]]);
    expect(hits(K8S_CLUSTER_ADMIN_BINDING, raw)).toEqual([['anon-admin/User:system:anonymous', 'critical']]);
  });
});

describe('K8S-BINDING-GROUP-NAME', () => {
  const raw: Raw = {
    clusterrolebindings: [clusterRoleBinding('ops', 'view', [{ kind: 'Group', name: 'Platform Ops' }])],
    rolebindings: [
      roleBinding('frontend', 'frontend-devs', { kind: 'ClusterRole', name: 'edit' }, [
        { kind: 'Group', name: 'Frontend Developers' },
        // By object id, in either case: what an Entra-integrated cluster matches.
        { kind: 'Group', name: '7F3E2D1C-0B9A-4C8D-9E7F-6A5B4C3D2E1F' },
        { kind: 'Group', name: 'system:serviceaccounts:frontend' },
        // Users are not groups.
        { kind: 'User', name: 'Frontend Developers' },
      ]),
      roleBinding('kube-system', 'aks-service-rolebinding', { kind: 'Role', name: 'x' }, [{ kind: 'Group', name: 'Display Name' }]),
    ],
  };

  it('reports groups named by display name in user bindings of an Entra-integrated cluster', () => {
    expect(hits(K8S_BINDING_GROUP_NAME, raw)).toEqual([
      ['-/ops/Platform Ops', undefined],
      ['frontend/frontend-devs/Frontend Developers', undefined],
    ]);
  });

  it('is silent when the cluster is not Entra-integrated (there a group name is whatever the authenticator says)', () => {
    expect(hits(K8S_BINDING_GROUP_NAME, raw, compliantCluster({ aadManaged: false }))).toEqual([]);
    expect(hits(K8S_BINDING_GROUP_NAME, raw, compliantCluster({ aadManaged: undefined }))).toEqual([]);
  });

  it('a GUID-like name that is not one is still a display name', () => {
    const near = { rolebindings: [roleBinding('a', 'b', { kind: 'Role', name: 'r' }, [{ kind: 'Group', name: '7f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1' }])] };
    expect(hits(K8S_BINDING_GROUP_NAME, near)).toEqual([['a/b/7f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1', undefined]]);
  });

  it('its fix quotes the display name for az ad group show', () => {
    const [hit] = K8S_BINDING_GROUP_NAME.evaluate({ cluster: compliantCluster(), objects: kubernetesObjects(raw) });
    expect(hit?.fix).toContain(`az ad group show --group 'Platform Ops' --query id -o tsv`);
  });
});

describe('K8S-WILDCARD-ROLE', () => {
  it('reports a wildcard ClusterRole or Role only when a user binding refers to it', () => {
    expect(
      hits(K8S_WILDCARD_ROLE, {
        clusterroles: [
          clusterRole('god-mode', [WILDCARD]),
          clusterRole('unbound-god', [WILDCARD]),
          clusterRole('only-platform-bound', [WILDCARD]),
          clusterRole('ns-god', [WILDCARD]),
        ],
        roles: [role('team', 'all', [{ apiGroups: [''], resources: ['*'], verbs: ['*'] }]), role('other', 'all', [WILDCARD])],
        clusterrolebindings: [
          clusterRoleBinding('devs', 'god-mode', [{ kind: 'User', name: 'x' }]),
          clusterRoleBinding('aks-thing', 'only-platform-bound', [{ kind: 'User', name: 'x' }]),
        ],
        rolebindings: [
          // A RoleBinding can refer to a ClusterRole, and to a Role of its own namespace only.
          roleBinding('team', 'ns', { kind: 'ClusterRole', name: 'ns-god' }, [{ kind: 'User', name: 'y' }]),
          roleBinding('team', 'all', { kind: 'Role', name: 'all' }, [{ kind: 'User', name: 'y' }]),
        ],
      }),
    ).toEqual([
      ['ClusterRole/god-mode', undefined],
      ['ClusterRole/ns-god', undefined],
      ['Role/team/all', undefined],
    ]);
  });

  it('needs * in verbs and in resources of the same rule, and exempts the default and system: roles', () => {
    const bindAll = (names: string[]) => names.map((name) => clusterRoleBinding(`b-${name}`, name, [{ kind: 'User', name: 'x' }]));
    expect(
      hits(K8S_WILDCARD_ROLE, {
        clusterroles: [
          clusterRole('split', [
            { apiGroups: [''], resources: ['*'], verbs: ['get'] },
            { apiGroups: [''], resources: ['pods'], verbs: ['*'] },
          ]),
          clusterRole('aggregated', []),
          { ...clusterRole('null-rules', []), rules: null },
          clusterRole('admin', [WILDCARD]),
          clusterRole('cluster-admin', [WILDCARD]),
          clusterRole('system:aggregate-to-admin', [WILDCARD]),
        ],
        clusterrolebindings: bindAll(['split', 'aggregated', 'null-rules', 'admin', 'cluster-admin', 'system:aggregate-to-admin']),
      }),
    ).toEqual([]);
  });
});
