/**
 * The command pod of the simulator's AKS runCommand (runCommandRoutes.ts): what the pod AKS
 * schedules in the `aks-command` namespace prints for a command.
 *
 * It is NOT a shell. It accepts exactly the forms the app sends (lib/azure/runCommandScript.ts):
 * segments `kubectl get <resource> -A -o json`, optionally piped to `jq -c '<program>'`, joined by
 * `; `. The kubectl part answers from the same snapshot objects the Kubernetes API stand-in serves
 * (kubernetesApi.ts), with the same token check and the same 403 for a cluster without a role, in
 * kubectl's words (a `List` whose items carry kind and apiVersion, as `kubectl get -o json` prints;
 * `Error from server (Forbidden): ...`; `error: You must be logged in to the server (Unauthorized)`).
 * The jq part is the real `jq` binary on this machine, so the app's reduction programs are run by
 * a jq nobody here wrote (a missing jq is bash's `jq: command not found`, exit 127, as in a pod
 * without it). The script's exit code is the last segment's, as bash without `pipefail` gives.
 *
 * Limits of the imitation (README "Fidelity"): stdout and stderr are interleaved per segment (the
 * real pod's ordering of the two streams in `logs` is not documented); only `get` of the resources
 * the stand-in knows; no scheduling, resource requests or 60 s start limit (a fault stands in for a
 * pod that did not start); anything else is refused with a non-zero exit code.
 */
import { execFile } from 'node:child_process';

import { KUBERNETES_RESOURCES, type KubernetesResource } from '../../lib/model/inCluster.js';
import { DISCOVERY } from './kubernetesDiscovery.js';
import type { KubernetesFolder } from './snapshotKubernetes.js';

/** What the pod sees of its cluster. */
export interface PodCluster {
  /** The cluster's snapshot objects (undefined: the stand-in has no folder for it). */
  folder: KubernetesFolder | undefined;
  /** The identity kubectl runs as: the clusterToken's (Entra clusters) or the cluster's own admin. */
  authenticated: boolean;
  /** The API server refuses every list (no role for this identity), as the stand-in's `forbidden`. */
  forbidden: boolean;
  /** Tools missing from the pod image (a fault: `jq`). */
  missingTools: ReadonlySet<string>;
}

export interface PodResult {
  exitCode: number;
  logs: string;
}

const SEGMENT = /^kubectl get (?<resource>[a-z.]+) (?:-A|--all-namespaces) -o json(?: \| jq -c '(?<program>[^']*)')?$/;

/** kind and apiVersion of each resource, from the stand-in's discovery. */
const KINDS = new Map(
  DISCOVERY.flatMap((entry) =>
    entry.resources.map(
      (resource) =>
        [
          resource.resource,
          { kind: resource.kind, apiVersion: entry.group === '' ? entry.version : `${entry.group}/${entry.version}`, group: entry.group },
        ] as const,
    ),
  ),
);

/** `kubectl get <resource> -A -o json` against the cluster: stdout, stderr, exit code. */
function kubectlGet(resource: string, cluster: PodCluster): { stdout: string; stderr: string; code: number } {
  if (!cluster.authenticated) return { stdout: '', stderr: 'error: You must be logged in to the server (Unauthorized)\n', code: 1 };
  const known = KINDS.get(resource);
  if (known === undefined) return { stdout: '', stderr: `error: the server doesn't have a resource type "${resource}"\n`, code: 1 };
  if (cluster.forbidden || resource === 'secrets') {
    return {
      stdout: '',
      stderr: `Error from server (Forbidden): ${resource} is forbidden: User "fleetguard" cannot list resource "${resource}" in API group "${known.group}" at the cluster scope\n`,
      code: 1,
    };
  }
  const list = cluster.folder?.lists[resource as KubernetesResource];
  if (!KUBERNETES_RESOURCES.includes(resource as KubernetesResource) || list === undefined) {
    return { stdout: '', stderr: 'Error from server (NotFound): the server could not find the requested resource\n', code: 1 };
  }
  const items = ((list.body as { items?: Record<string, unknown>[] }).items ?? []).map((item) => ({ ...item, apiVersion: known.apiVersion, kind: known.kind }));
  return { stdout: `${JSON.stringify({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }, null, 4)}\n`, stderr: '', code: 0 };
}

function jq(program: string, input: string): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile('jq', ['-c', program], { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 127;
      resolve({ stdout, stderr: (error as { code?: unknown } | null)?.code === 'ENOENT' ? 'bash: line 1: jq: command not found\n' : stderr, code });
    });
    child.stdin?.end(input);
  });
}

/** One segment's outcome: what it printed and its exit code (jq still to run when `program` is set). */
interface SegmentRun {
  printed: string;
  exitCode: number;
  jqInput?: { program: string; input: string };
}

function runSegment(text: string, cluster: PodCluster): SegmentRun {
  const groups = SEGMENT.exec(text.trim())?.groups;
  if (groups === undefined) {
    const word = text.trim().split(/\s+/)[0] ?? '';
    return word === 'kubectl'
      ? {
          printed: `error: this command pod (the simulator's) runs only "kubectl get <resource> -A -o json [| jq -c '<program>']": ${text.trim()}\n`,
          exitCode: 1,
        }
      : { printed: `bash: line 1: ${word}: command not found\n`, exitCode: 127 };
  }
  const kubectl = kubectlGet(groups['resource'] ?? '', cluster);
  if (groups['program'] === undefined) return { printed: kubectl.stderr + kubectl.stdout, exitCode: kubectl.code };
  if (cluster.missingTools.has('jq')) return { printed: `${kubectl.stderr}bash: line 1: jq: command not found\n`, exitCode: 127 };
  // jq on empty input prints nothing and exits 0: not spawned.
  if (kubectl.stdout === '') return { printed: kubectl.stderr, exitCode: 0 };
  return { printed: kubectl.stderr, exitCode: 0, jqInput: { program: groups['program'], input: kubectl.stdout } };
}

/**
 * Runs the command as the pod would and returns what `logs` and `exitCode` report. The segments'
 * jq processes run side by side (the output is assembled in segment order, as the pod prints it).
 */
export async function runInPod(command: string, cluster: PodCluster): Promise<PodResult> {
  const segments = command.split('; ').map((text) => runSegment(text, cluster));
  const piped = await Promise.all(
    segments.map((segment) => (segment.jqInput === undefined ? Promise.resolve(undefined) : jq(segment.jqInput.program, segment.jqInput.input))),
  );
  let logs = '';
  let exitCode = 0;
  segments.forEach((segment, index) => {
    const output = piped[index];
    logs += segment.printed + (output === undefined ? '' : output.stdout + output.stderr);
    exitCode = output === undefined ? segment.exitCode : output.code;
  });
  return { exitCode, logs };
}
