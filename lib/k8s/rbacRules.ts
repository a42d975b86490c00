/**
 * The in-cluster RBAC rules of CONTRACTS.md §5: who is bound to `cluster-admin`, bindings that let
 * anonymous requests in, bindings naming an Entra group by display name, wildcard roles.
 */
import type { Severity } from '../model/finding.js';
import { shellWord } from '../shellWord.js';
import type { K8sRule, K8sRuleHit } from './k8sRule.js';
import type { Binding, Role, Subject } from './objects.js';
import { getCredentials, isUserBinding, kubectl } from './terms.js';

const CLUSTER_ADMIN = 'cluster-admin';
/** The Kubernetes default roles and the `system:` roles, which the wildcard rule leaves alone. */
const DEFAULT_ROLES = new Set(['cluster-admin', 'admin', 'edit', 'view']);
/** An Entra object id: what an Entra-integrated cluster puts in a group claim (never the display name). */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isClusterAdminRef(binding: Binding): boolean {
  return binding.roleRef.kind === 'ClusterRole' && binding.roleRef.name === CLUSTER_ADMIN;
}

function isSubject(subject: Subject, kind: string, name: string): boolean {
  return subject.kind === kind && subject.name === name;
}

/** Anyone at all: subjects that make a binding apply to every caller, or to any pod of a namespace. */
function isAnyone(subject: Subject): boolean {
  return (
    isSubject(subject, 'Group', 'system:authenticated') ||
    isSubject(subject, 'Group', 'system:unauthenticated') ||
    isSubject(subject, 'User', 'system:anonymous') ||
    isSubject(subject, 'ServiceAccount', 'default')
  );
}

function isAnonymous(subject: Subject): boolean {
  return isSubject(subject, 'User', 'system:anonymous') || isSubject(subject, 'Group', 'system:unauthenticated');
}

/** `-n {namespace} rolebinding {name}` or `clusterrolebinding {name}`, quoted, for kubectl. */
function bindingWords(binding: Binding): string {
  const namespace = binding.metadata.namespace;
  return namespace ? `-n ${shellWord(namespace)} rolebinding ${shellWord(binding.metadata.name)}` : `clusterrolebinding ${shellWord(binding.metadata.name)}`;
}

function bindingLabel(binding: Binding): string {
  const namespace = binding.metadata.namespace;
  return namespace ? `RoleBinding ${namespace}/${binding.metadata.name}` : `ClusterRoleBinding ${binding.metadata.name}`;
}

export const K8S_CLUSTER_ADMIN_BINDING: K8sRule = {
  id: 'K8S-CLUSTER-ADMIN-BINDING',
  frameworks: { 'cis-aks': ['4.1.1'], kubescape: ['C-0185', 'C-0035'], nsa: ['C-0035'] },
  severity: 'critical',
  title: 'cluster-admin is bound by hand',
  practice: 'Implement RBAC',
  group: 'identity',
  docUrl: 'https://learn.microsoft.com/azure/aks/azure-ad-rbac',
  needs: ['clusterrolebindings'],
  evaluate: ({ cluster, objects }) => {
    const hits = new Map<string, K8sRuleHit>();
    for (const binding of objects.clusterrolebindings) {
      if (!isUserBinding(binding) || !isClusterAdminRef(binding)) continue;
      for (const subject of binding.subjects) {
        if (isSubject(subject, 'Group', 'system:masters')) continue;
        const key = `${binding.metadata.name}/${subject.kind}:${subject.name}`;
        const severity: Severity = isAnyone(subject) ? 'critical' : 'high';
        // The same subject listed twice (two ServiceAccounts `default` of different namespaces) is one finding, at its worst.
        if (hits.get(key)?.severity === 'critical') continue;
        hits.set(key, {
          subject: key,
          severity,
          detail: `ClusterRoleBinding ${binding.metadata.name} on cluster ${cluster.name} makes ${subject.kind} ${subject.name}${subject.namespace ? ` (namespace ${subject.namespace})` : ''} cluster-admin${severity === 'critical' ? ', which any caller or any pod can use' : ''}. Admins get cluster-admin through the cluster's Entra admin groups, not a manual binding.`,
          fix: `${getCredentials(cluster)}; ${kubectl(cluster)} edit clusterrolebinding ${shellWord(binding.metadata.name)} (remove the subject, or delete the binding); give admins access with az aks update --resource-group ${shellWord(cluster.resourceGroup)} --name ${shellWord(cluster.name)} --aad-admin-group-object-ids <group-object-id>`,
        });
      }
    }
    return [...hits.values()];
  },
};

export const K8S_ANONYMOUS_BINDING: K8sRule = {
  id: 'K8S-ANONYMOUS-BINDING',
  frameworks: { kubescape: ['C-0262'] },
  severity: 'critical',
  title: 'A binding grants a role to anonymous requests',
  practice: 'Disable anonymous auth',
  group: 'identity',
  docUrl: 'https://learn.microsoft.com/azure/aks/operator-best-practices-identity',
  needs: ['clusterrolebindings', 'rolebindings'],
  evaluate: ({ cluster, objects }) => {
    const hits = new Map<string, K8sRuleHit>();
    for (const binding of [...objects.clusterrolebindings, ...objects.rolebindings]) {
      if (!isUserBinding(binding) || !binding.subjects.some(isAnonymous)) continue;
      // A ClusterRoleBinding to cluster-admin is K8S-CLUSTER-ADMIN-BINDING's (critical there too). A
      // RoleBinding to cluster-admin is not covered by that rule, so it is reported here.
      if (!binding.metadata.namespace && isClusterAdminRef(binding)) continue;
      const subject = `${binding.metadata.namespace || '-'}/${binding.metadata.name}`;
      hits.set(subject, {
        subject,
        detail: `${bindingLabel(binding)} on cluster ${cluster.name} grants ${binding.roleRef.kind} ${binding.roleRef.name} to unauthenticated requests (system:anonymous or system:unauthenticated): anyone who can reach the API server holds it.`,
        fix: `${getCredentials(cluster)}; ${kubectl(cluster)} delete ${bindingWords(binding)}`,
      });
    }
    return [...hits.values()];
  },
};

export const K8S_BINDING_GROUP_NAME: K8sRule = {
  id: 'K8S-BINDING-GROUP-NAME',
  frameworks: { 'cis-aks': ['5.5.1'] },
  severity: 'medium',
  title: 'A binding names an Entra group by display name and grants nothing',
  practice: 'Entra groups mapped to RBAC',
  group: 'identity',
  docUrl: 'https://learn.microsoft.com/azure/aks/azure-ad-rbac',
  needs: ['clusterrolebindings', 'rolebindings'],
  evaluate: ({ cluster, objects }) => {
    if (cluster.aadManaged !== true) return [];
    const hits = new Map<string, K8sRuleHit>();
    for (const binding of [...objects.clusterrolebindings, ...objects.rolebindings]) {
      if (!isUserBinding(binding)) continue;
      for (const group of binding.subjects) {
        if (group.kind !== 'Group' || GUID.test(group.name) || group.name.startsWith('system:')) continue;
        const subject = `${binding.metadata.namespace || '-'}/${binding.metadata.name}/${group.name}`;
        hits.set(subject, {
          subject,
          detail: `${bindingLabel(binding)} on cluster ${cluster.name} names the group "${group.name}". An Entra-integrated cluster sees groups by object id, never by display name, so the binding grants nothing: the people it was meant for have no access.`,
          fix: `az ad group show --group ${shellWord(group.name)} --query id -o tsv; ${kubectl(cluster)} edit ${bindingWords(binding)} (replace the group name with that object id)`,
        });
      }
    }
    return [...hits.values()];
  },
};

function grantsEverything(role: Role): boolean {
  return role.rules.some((rule) => rule.verbs.includes('*') && rule.resources.includes('*'));
}

export const K8S_WILDCARD_ROLE: K8sRule = {
  id: 'K8S-WILDCARD-ROLE',
  frameworks: { 'cis-aks': ['4.1.3'], kubescape: ['C-0187'] },
  severity: 'medium',
  title: 'A bound role allows every verb on every resource',
  practice: 'Implement RBAC',
  group: 'identity',
  docUrl: 'https://learn.microsoft.com/azure/aks/concepts-identity#kubernetes-rbac',
  needs: ['clusterrolebindings', 'rolebindings', 'clusterroles', 'roles'],
  evaluate: ({ cluster, objects }) => {
    // The roles user bindings refer to: ClusterRoles by name; Roles by the RoleBinding's namespace and name.
    const boundClusterRoles = new Set<string>();
    const boundRoles = new Set<string>();
    for (const binding of [...objects.clusterrolebindings, ...objects.rolebindings]) {
      if (!isUserBinding(binding)) continue;
      if (binding.roleRef.kind === 'ClusterRole') boundClusterRoles.add(binding.roleRef.name);
      else if (binding.roleRef.kind === 'Role' && binding.metadata.namespace) boundRoles.add(`${binding.metadata.namespace}/${binding.roleRef.name}`);
    }
    const exempt = (name: string) => DEFAULT_ROLES.has(name) || name.startsWith('system:');
    const hits: K8sRuleHit[] = [];
    for (const role of objects.clusterroles) {
      const name = role.metadata.name;
      if (exempt(name) || !boundClusterRoles.has(name) || !grantsEverything(role)) continue;
      hits.push({
        subject: `ClusterRole/${name}`,
        detail: `ClusterRole ${name} on cluster ${cluster.name} allows every verb on every resource and is bound to users: it is cluster-admin under another name.`,
        fix: `${kubectl(cluster)} edit clusterrole ${shellWord(name)} (list the verbs and resources needed), or bind the built-in admin, edit or view role instead`,
      });
    }
    for (const role of objects.roles) {
      const name = role.metadata.name;
      const namespace = role.metadata.namespace ?? '';
      if (exempt(name) || !boundRoles.has(`${namespace}/${name}`) || !grantsEverything(role)) continue;
      hits.push({
        subject: `Role/${namespace}/${name}`,
        detail: `Role ${namespace}/${name} on cluster ${cluster.name} allows every verb on every resource of its namespace and is bound to users.`,
        fix: `${kubectl(cluster)} -n ${shellWord(namespace)} edit role ${shellWord(name)} (list the verbs and resources needed), or bind the built-in admin, edit or view role instead`,
      });
    }
    return hits;
  },
};

export const RBAC_RULES: readonly K8sRule[] = [K8S_CLUSTER_ADMIN_BINDING, K8S_ANONYMOUS_BINDING, K8S_BINDING_GROUP_NAME, K8S_WILDCARD_ROLE];
