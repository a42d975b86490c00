/**
 * The runCommand fallback's command and output reading (lib/azure/runCommandScript.ts), and its
 * setting. The reduction is run by the real `jq` (the command pod has jq: Learn "Access a private
 * AKS cluster using the command invoke or Run command feature") over the sample fleet's lists, and
 * the K8S-* rules must find exactly what they find on the full objects; the reduction ratio on the
 * sample fleet is printed and bounded.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { clusterFromArmJson } from '../../../lib/azure/armClusterJson.js';
import { jqProgram, parseRunCommandOutput, runCommandScript } from '../../../lib/azure/runCommandScript.js';
import { parseConfig } from '../../../lib/config.js';
import { evaluateInCluster } from '../../../lib/k8s/evaluateInCluster.js';
import { type KubernetesObjects, parseKubernetesList } from '../../../lib/k8s/objects.js';
import { resourceKey } from '../../../lib/model/cluster.js';
import { KUBERNETES_RESOURCES } from '../../../lib/model/inCluster.js';
import { loadSnapshot } from '../../../tooling/simulator/snapshot.js';
import { debianTool } from '../../harness/debianTool.js';
import { projectRoot } from '../../harness/fixtures.js';

const SAMPLE = path.join(projectRoot, 'test', 'fixtures', 'fleet-sample-k8s');

describe('the runCommand script', () => {
  it('lists each resource the rules read with kubectl, reduced by jq, never Secrets', () => {
    const script = runCommandScript(KUBERNETES_RESOURCES);
    expect(script.split('; ')).toHaveLength(KUBERNETES_RESOURCES.length);
    for (const resource of KUBERNETES_RESOURCES) expect(script).toContain(`kubectl get ${resource} -A -o json | jq -c '`);
    expect(script).not.toMatch(/secret/i);
  });

  it('reads the marked lines, attributes kubectl errors to their resource, and counts a cut-off line as cut off', () => {
    const logs = [
      '{"fleetguard":"namespaces","kind":"List","apiVersion":"v1","items":[]}',
      'Error from server (Forbidden): pods is forbidden: User "x" cannot list resource "pods" in API group "" at the cluster scope',
      '{"fleetguard":"roles","kind":"List","apiVersion":"v1","items":[{"metadata":{"na',
    ].join('\n');
    const parsed = parseRunCommandOutput(logs, ['namespaces', 'pods', 'roles', 'clusterroles']);
    expect(Object.keys(parsed.lists)).toEqual(['namespaces']);
    expect(parsed.errors.pods).toContain('pods is forbidden');
    expect(parsed.cutOff).toEqual(['roles', 'clusterroles']);
  });
});

describe('the reduction, run by the real jq over the sample fleet', () => {
  it('keeps every finding of the K8S-* rules and shrinks the lists', () => {
    const snapshot = loadSnapshot(SAMPLE);
    const captured = snapshot.clusters.flatMap((body) => {
      const folder = snapshot.kubernetes?.get(resourceKey(String(body['id'])));
      return folder === undefined ? [] : [{ cluster: clusterFromArmJson(body), folder }];
    });
    expect(captured).toHaveLength(2);
    // One jq for everything (each spawn is costly): per cluster an object of the lists, each reduced by its own program.
    const program = KUBERNETES_RESOURCES.map((resource) => `(.${resource} | ${jqProgram(resource)})`).join(', ');
    const input = captured
      .map(({ folder }) => JSON.stringify(Object.fromEntries(KUBERNETES_RESOURCES.map((resource) => [resource, folder.lists[resource]?.body]))))
      .join('\n');
    const lines = execFileSync(debianTool('jq', ['jq']), ['-c', program], { input, encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(lines).toHaveLength(captured.length * KUBERNETES_RESOURCES.length);
    let full = 0;
    let reduced = 0;
    captured.forEach(({ cluster, folder }, index) => {
      const original: KubernetesObjects = {};
      const small: KubernetesObjects = {};
      KUBERNETES_RESOURCES.forEach((resource, position) => {
        const list = folder.lists[resource]!;
        const output = lines[index * KUBERNETES_RESOURCES.length + position] ?? '';
        // As `kubectl get -o json` prints it, compact, against the reduced line.
        full += Buffer.byteLength(JSON.stringify(list.body));
        reduced += Buffer.byteLength(output);
        Object.assign(original, { [resource]: parseKubernetesList(resource, list.body, list.source) });
        Object.assign(small, { [resource]: parseKubernetesList(resource, JSON.parse(output) as unknown, 'jq') });
      });
      const described = (objects: KubernetesObjects) =>
        evaluateInCluster(cluster, objects)
          .findings.map((finding) => `${finding.ruleId} ${finding.severity} ${finding.subject} ${finding.detail}`)
          .sort();
      expect(described(small), cluster.name).toEqual(described(original));
      expect(described(original).length, cluster.name).toBeGreaterThan(0);
    });
    const ratio = full / reduced;
    console.log(`runCommand reduction on the sample fleet: ${full} bytes of kubectl JSON -> ${reduced} bytes (${ratio.toFixed(2)}x)`);
    expect(ratio).toBeGreaterThan(1.5);
  });
});

describe('FLEETGUARD_IN_CLUSTER_RUN_COMMAND', () => {
  it('is off by default, takes private-only or unreachable, and refuses anything else by name', () => {
    expect(parseConfig({}).inCluster.runCommand).toBe('off');
    expect(parseConfig({ FLEETGUARD_IN_CLUSTER_RUN_COMMAND: 'private-only' }).inCluster.runCommand).toBe('private-only');
    expect(parseConfig({ FLEETGUARD_IN_CLUSTER_RUN_COMMAND: 'unreachable' }).inCluster.runCommand).toBe('unreachable');
    expect(() => parseConfig({ FLEETGUARD_IN_CLUSTER_RUN_COMMAND: 'on' })).toThrow(/FLEETGUARD_IN_CLUSTER_RUN_COMMAND/);
  });
});
