/**
 * Least access for the in-cluster reads (issue 16): both grants give exactly the reads of the eight
 * resources the K8S-* rules use (lib/model/inCluster.ts KUBERNETES_RESOURCES), never Secrets, never
 * a write.
 * - Azure RBAC clusters: infra/modules/inClusterReader.bicep's custom role holds exactly
 *   lib/infra/requiredActions.ts IN_CLUSTER_DATA_ACTIONS and IN_CLUSTER_ACTIONS (strings as Learn
 *   "Azure resource provider operations", Microsoft.ContainerService DataActions, spells them).
 * - Kubernetes-RBAC clusters: infra/kubernetes/fleetguard-reader.yaml, parsed here, grants get/list
 *   (nothing beyond get/list/watch) on exactly those resources in their API groups, binds it to the
 *   app identity placeholder, and a real `kubectl apply --dry-run=client` accepts it against the
 *   simulator's Kubernetes API stand-in (discovery maps the kinds, the GET by name answers NotFound).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { IN_CLUSTER_ACTIONS, IN_CLUSTER_DATA_ACTIONS } from '../../lib/infra/requiredActions.js';
import { KUBERNETES_RESOURCES } from '../../lib/model/inCluster.js';
import { packageRoot } from '../../lib/packageRoot.js';
import { type KubernetesStandIn, startKubernetesStandIn } from '../../tooling/simulator/kubernetesApi.js';
import { DISCOVERY } from '../../tooling/simulator/kubernetesDiscovery.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { projectRoot } from '../harness/fixtures.js';
import { kubectlFor } from '../harness/kubectl.js';

const root = packageRoot();
const MANIFEST = path.join(root, 'infra', 'kubernetes', 'fleetguard-reader.yaml');
const BICEP = readFileSync(path.join(root, 'infra', 'modules', 'inClusterReader.bicep'), 'utf8');
const READ_VERBS = new Set(['get', 'list', 'watch']);

/** The `var <name> = [ 'a' 'b' ]` string array of a Bicep file, one item per line. */
function stringArray(text: string, name: string): string[] {
  const start = text.indexOf(`var ${name} = [`);
  if (start < 0) return [];
  const body = text.slice(start, text.indexOf('\n]', start));
  return [...body.matchAll(/^\s+'([^']+)'$/gm)].map((match) => match[1] ?? '');
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  rules?: Rule[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: Array<{ apiGroup?: string; kind: string; name: string }>;
}

function manifest(): ManifestObject[] {
  const documents = parseAllDocuments(readFileSync(MANIFEST, 'utf8'));
  for (const document of documents) expect(document.errors, 'YAML errors').toEqual([]);
  return documents.map((document) => document.toJS() as ManifestObject);
}

/** Every (group, resource, verb) a ClusterRole's rules grant. */
function grants(rules: readonly Rule[]): Array<{ group: string; resource: string; verb: string }> {
  return rules.flatMap((rule) =>
    (rule.apiGroups ?? []).flatMap((group) => (rule.resources ?? []).flatMap((resource) => (rule.verbs ?? []).map((verb) => ({ group, resource, verb })))),
  );
}

/** The API group of each §5 resource, as the API server serves it. */
const GROUP_OF = new Map(DISCOVERY.flatMap((entry) => entry.resources.map((resource) => [resource.resource, entry.group] as const)));

describe('Azure RBAC clusters: the in-cluster reader role (infra/modules/inClusterReader.bicep)', () => {
  it('grants exactly one read data action per resource read, the kubeconfig action, and nothing else', () => {
    expect(Object.keys(IN_CLUSTER_DATA_ACTIONS).sort()).toEqual([...KUBERNETES_RESOURCES].sort());
    expect(stringArray(BICEP, 'inClusterDataActions').sort()).toEqual(Object.values(IN_CLUSTER_DATA_ACTIONS).sort());
    expect(stringArray(BICEP, 'inClusterActions')).toEqual([...IN_CLUSTER_ACTIONS]);
    expect(BICEP).toContain('permissions: [{ actions: inClusterActions, notActions: [], dataActions: inClusterDataActions, notDataActions: [] }]');
    for (const [resource, action] of Object.entries(IN_CLUSTER_DATA_ACTIONS)) {
      // The documented form: managedClusters/{group/}{resource}/read, the core group without a segment.
      const group = GROUP_OF.get(resource) ?? '?';
      expect(action).toBe(`Microsoft.ContainerService/managedClusters/${group === '' ? '' : `${group}/`}${resource}/read`);
    }
    for (const action of [...stringArray(BICEP, 'inClusterDataActions'), ...stringArray(BICEP, 'inClusterActions')])
      expect(action).not.toMatch(/secrets|\*|\/write$|\/delete$|impersonate|exec/);
    expect(BICEP).toContain('assignableScopes: [subscription().id]');
  });

  it('is wired into main.bicep behind grantInClusterRead, per swept subscription', () => {
    const main = readFileSync(path.join(root, 'infra', 'main.bicep'), 'utf8');
    expect(main).toContain('param grantInClusterRead bool = false');
    expect(main).toMatch(
      /module inClusterReader 'modules\/inClusterReader\.bicep' = \[\s+for subscriptionId in \(grantInClusterRead \? sweptSubscriptionsLower : \[\]\):/,
    );
  });
});

describe('Kubernetes-RBAC clusters: infra/kubernetes/fleetguard-reader.yaml', () => {
  it('is a read-only ClusterRole on exactly the resources read, in their groups, and a binding to the app identity', () => {
    const [role, binding, ...rest] = manifest();
    expect(rest).toEqual([]);
    expect(role).toMatchObject({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'fleetguard-reader' } });
    const granted = grants(role!.rules ?? []);
    for (const rule of role!.rules ?? []) {
      expect(rule.nonResourceURLs, 'no non-resource URLs').toBeUndefined();
      expect(rule.resourceNames, 'whole resources, no names').toBeUndefined();
    }
    for (const grant of granted) {
      expect(READ_VERBS.has(grant.verb), `${grant.resource}: verb ${grant.verb}`).toBe(true);
      expect(grant.resource, 'no wildcard, no subresource, no secrets').toMatch(/^(?!secrets$)[a-z]+$/);
      expect(grant.group, `${grant.resource} in its API group`).toBe(GROUP_OF.get(grant.resource));
    }
    expect([...new Set(granted.map((grant) => grant.resource))].sort()).toEqual([...KUBERNETES_RESOURCES].sort());
    // get and list on each: the reader lists, and a client may read one object back.
    for (const resource of KUBERNETES_RESOURCES) {
      expect(
        granted
          .filter((grant) => grant.resource === resource)
          .map((grant) => grant.verb)
          .sort(),
        resource,
      ).toEqual(['get', 'list']);
    }

    expect(binding).toMatchObject({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'fleetguard-reader' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'APP_IDENTITY_OBJECT_ID' }],
    });
    // The header says how to fill the placeholder.
    expect(readFileSync(MANIFEST, 'utf8')).toContain('sed "s/APP_IDENTITY_OBJECT_ID/${principal}/"');
  });

  describe('with kubectl', () => {
    let standIn: KubernetesStandIn;
    beforeAll(async () => {
      const sample = path.join(projectRoot, 'test', 'fixtures', 'fleet-sample-k8s');
      standIn = await startKubernetesStandIn({ kubernetes: loadSnapshot(sample).kubernetes!, token: 'manifest-test' });
    });
    afterAll(async () => {
      await standIn.close();
    });

    it('kubectl apply --dry-run=client accepts it against the API stand-in (kinds mapped by discovery, objects not there yet)', async () => {
      const cluster = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev';
      const kubectl = kubectlFor(standIn.serverFor(cluster), standIn.caPem, 'manifest-test');
      try {
        // --validate=false: the stand-in serves no OpenAPI document to validate field schemas against.
        const result = await kubectl.run(['apply', '--dry-run=client', '--validate=false', '-f', MANIFEST, '-o', 'name']);
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        expect(result.stdout.trim().split('\n')).toEqual([
          'clusterrole.rbac.authorization.k8s.io/fleetguard-reader',
          'clusterrolebinding.rbac.authorization.k8s.io/fleetguard-reader',
        ]);
      } finally {
        kubectl.close();
      }
    });
  });
});
