/**
 * The command the AKS runCommand fallback sends, and how its output is read back (pure).
 *
 * The command pod has `kubectl` and, for Bash support, `jq` (Learn, "Access a private AKS cluster
 * using the command invoke or Run command feature": "The pod created by the Run command provides
 * kubectl and helm ... jq, xargs, grep, and awk are available"). Its output is capped at 512 kB
 * (same page: "The output for command invoke is limited to 512kB in size"; truncated, by design:
 * MicrosoftDocs/azure-docs-cli#3883, MicrosoftDocs/azure-docs#115257). So each resource is listed
 * with `kubectl get {resource} -A -o json` and reduced in the pod by `jq` to the fields the K8S-*
 * rules read (lib/k8s/objects.ts and the rules: names, namespaces, the few labels and annotations
 * they look at, role refs, subjects, verbs/resources, selectors, security context, host access),
 * one compact JSON line per resource marked with its name. Which end of an over-long output AKS
 * keeps is not documented: a line that does not parse, or a resource with no line and no error, is
 * treated as cut off, never as empty.
 *
 * Segments are joined with `;` so one refused resource does not stop the others; kubectl's error
 * (stderr, e.g. `Error from server (Forbidden): pods is forbidden: ...`) then stands in the output
 * for that resource. Never Secrets: only KUBERNETES_RESOURCES are listed.
 */
import type { KubernetesResource } from '../model/inCluster.js';

/** runCommand's output cap: 512 kB (Learn, access-private-cluster, "Limitations"). */
export const RUN_COMMAND_OUTPUT_LIMIT_BYTES = 512 * 1024;

/** The marker key of each output line: `{"fleetguard":"pods","kind":"List",...}`. */
const MARKER = 'fleetguard';

/** jq: keeps only the listed keys of a string map (labels, annotations); a missing map is `{}`. */
function onlyKeys(path: string, keys: readonly string[]): string {
  return `((${path} // {}) | with_entries(select(${keys.map((key) => `.key == ${JSON.stringify(key)}`).join(' or ')})))`;
}

/** jq: the containers of one list field, with only what K8S-PRIVILEGED-POD reads. */
function containers(field: string): string {
  return `${field}: [(.spec.${field} // [])[] | {name, securityContext: {privileged: .securityContext.privileged}}]`;
}

const NAME_AND_NAMESPACE = 'name: .metadata.name, namespace: .metadata.namespace';

/**
 * Per resource, the jq expression that reduces one item to what the rules read. Keys the rules
 * look up by name (lib/k8s/terms.ts, namespaceRules.ts, podRules.ts): the Pod Security Admission
 * label and AKS's `managedby` label on namespaces, the workload identity label on pods and its
 * client-id annotation on service accounts. Volumes are kept only when they mount a host path, and
 * network-policy rules only as their count (the rules read only whether there are any).
 * test/integration/inClusterRunCommand.test.ts checks that the rules find the same on the reduced
 * objects as on the full ones.
 */
export const REDUCERS: Readonly<Record<KubernetesResource, string>> = {
  namespaces: `{metadata: {name: .metadata.name, labels: ${onlyKeys('.metadata.labels', ['pod-security.kubernetes.io/enforce', 'kubernetes.azure.com/managedby'])}}}`,
  clusterrolebindings: `{metadata: {${NAME_AND_NAMESPACE}}, roleRef: {kind: .roleRef.kind, name: .roleRef.name}, subjects: [(.subjects // [])[] | {kind, name, namespace}]}`,
  rolebindings: `{metadata: {${NAME_AND_NAMESPACE}}, roleRef: {kind: .roleRef.kind, name: .roleRef.name}, subjects: [(.subjects // [])[] | {kind, name, namespace}]}`,
  clusterroles: `{metadata: {${NAME_AND_NAMESPACE}}, rules: [(.rules // [])[] | {verbs, resources}]}`,
  roles: `{metadata: {${NAME_AND_NAMESPACE}}, rules: [(.rules // [])[] | {verbs, resources}]}`,
  networkpolicies:
    `{metadata: {${NAME_AND_NAMESPACE}}, spec: {podSelector: {matchLabels: (.spec.podSelector.matchLabels // {}), ` +
    `matchExpressions: [(.spec.podSelector.matchExpressions // [])[] | {}]}, policyTypes: .spec.policyTypes, ` +
    `ingress: [(.spec.ingress // [])[] | {}], egress: [(.spec.egress // [])[] | {}]}}`,
  serviceaccounts: `{metadata: {${NAME_AND_NAMESPACE}, annotations: ${onlyKeys('.metadata.annotations', ['azure.workload.identity/client-id'])}}, automountServiceAccountToken}`,
  pods:
    `{metadata: {${NAME_AND_NAMESPACE}, labels: ${onlyKeys('.metadata.labels', ['azure.workload.identity/use'])}, ` +
    `ownerReferences: [(.metadata.ownerReferences // [])[] | {kind, name, controller}]}, ` +
    `spec: {${containers('containers')}, ${containers('initContainers')}, ${containers('ephemeralContainers')}, ` +
    `hostNetwork: .spec.hostNetwork, hostPID: .spec.hostPID, hostIPC: .spec.hostIPC, ` +
    `volumes: [(.spec.volumes // [])[] | select(.hostPath != null) | {name, hostPath: {path: .hostPath.path}}], ` +
    `serviceAccountName: .spec.serviceAccountName, serviceAccount: .spec.serviceAccount}}`,
};

/** The jq program of one resource: a `List` of reduced items, marked with the resource. */
export function jqProgram(resource: KubernetesResource): string {
  return `{${MARKER}: ${JSON.stringify(resource)}, kind: "List", apiVersion: "v1", items: [.items[] | ${REDUCERS[resource]}]}`;
}

/** The shell segment of one resource: `kubectl get pods -A -o json | jq -c '...'`. */
export function segment(resource: KubernetesResource): string {
  const program = jqProgram(resource);
  // Single-quoted for the shell: the program itself never contains a single quote.
  if (program.includes("'")) throw new Error(`the jq program of ${resource} contains a single quote`);
  return `kubectl get ${resource} -A -o json | jq -c '${program}'`;
}

/** One command for the given resources, one segment each, run whatever the previous one did. */
export function runCommandScript(resources: readonly KubernetesResource[]): string {
  return resources.map(segment).join('; ');
}

/** What the output says about each resource asked for. */
export interface ParsedRunCommandOutput {
  /** The reduced `List` body of each resource printed in full. */
  lists: Partial<Record<KubernetesResource, unknown>>;
  /** kubectl's error lines, by the resource they name. */
  errors: Partial<Record<KubernetesResource, string>>;
  /** Resources with no complete line and no error: cut off by the output limit (or never printed). */
  cutOff: KubernetesResource[];
  /** Output lines that name no resource asked for. */
  other: string[];
}

function resourceNamed(line: string, resources: readonly KubernetesResource[]): KubernetesResource | undefined {
  // kubectl names the resource in its errors: `pods is forbidden: ...`, `... resource "pods" ...`.
  return resources.find((resource) => new RegExp(`(^|[^a-z])${resource}([^a-z]|$)`).test(line));
}

/** Reads the `logs` of a runCommand result for the resources the command listed. */
export function parseRunCommandOutput(logs: string, resources: readonly KubernetesResource[]): ParsedRunCommandOutput {
  const parsed: ParsedRunCommandOutput = { lists: {}, errors: {}, cutOff: [], other: [] };
  for (const raw of logs.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith(`{"${MARKER}":`)) {
      let body: unknown;
      try {
        body = JSON.parse(line);
      } catch {
        continue; // cut off mid-line: the resource counts as cut off below
      }
      const resource = (body as Record<string, unknown>)[MARKER];
      if (typeof resource === 'string' && (resources as readonly string[]).includes(resource)) parsed.lists[resource as KubernetesResource] = body;
      continue;
    }
    const named = resourceNamed(line, resources);
    if (named === undefined) parsed.other.push(line);
    else parsed.errors[named] = parsed.errors[named] === undefined ? line : `${parsed.errors[named]} ${line}`;
  }
  parsed.cutOff = resources.filter((resource) => parsed.lists[resource] === undefined && parsed.errors[resource] === undefined);
  return parsed;
}
