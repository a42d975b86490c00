/**
 * In-cluster stage of a sweep (CONTRACTS.md §5): per cluster, the Kubernetes objects through the
 * reader, then the K8S-* rules. Every cluster ends in one coverage state; only `checked` marks rules
 * as evaluated, so a cluster that could not be read keeps its K8S findings as they were.
 *
 * The per-cluster check (`checkClusterInside`) is shared by the CLI's in-process stage below and
 * the fan-out activity of the in-cluster schedule (lib/sweep/inClusterActivities.ts).
 */
import type { LimitFunction } from 'p-limit';

import { toFleetGuardError } from '../errors.js';
import { evaluateInCluster } from '../k8s/evaluateInCluster.js';
import { type KubernetesObjects, parseKubernetesList } from '../k8s/objects.js';
import { type Cluster, resourceKey } from '../model/cluster.js';
import type { DiagnosticSettingsReader } from '../model/diagnosticSettings.js';
import type { Finding } from '../model/finding.js';
import { IN_CLUSTER_STATES, type InClusterReader, type InClusterState, KUBERNETES_RESOURCES, type KubernetesResource } from '../model/inCluster.js';
import { checkAuditLogs } from './auditLogCheck.js';
import { type Coverage, markEvaluated } from './coverage.js';
import type { SweepError } from './sweepResult.js';

/** A cluster's in-cluster coverage as the sweep reports it (JSON output, sweep record). */
export interface InClusterCoverage {
  state: InClusterState;
  /** Why the cluster was not checked, or what could not be read of a checked one. */
  reason?: string;
  /** Resources of a checked cluster that could not be read: the rules needing them were skipped. */
  unread?: KubernetesResource[];
  /** How a checked cluster was read when not through its API server: the AKS runCommand fallback. */
  via?: 'runCommand';
}

export interface InClusterStageResult {
  findings: Finding[];
  /** Coverage by cluster key. */
  coverage: Map<string, InClusterCoverage>;
  /** Clusters per state. */
  counts: Record<InClusterState, number>;
}

/**
 * What the per-cluster check reads through. An object, so another reader (a per-cluster ARM read
 * feeding more rules) is one optional property here and one line in `checkClusterInside`.
 */
export interface ClusterCheckDeps {
  reader: InClusterReader;
  /**
   * Past this the cluster is `unreachable` ("timed out after N s") and its slot is free for the
   * next one, whatever the reader does meanwhile: one slow cluster costs one timeout. Absent: the
   * reader's own budget only (the live adapter has one; a snapshot needs none).
   */
  deadlineSeconds?: number;
  /** Diagnostic settings (AKS-AUDIT-LOGS, one ARM call per cluster); read whatever the Kubernetes API answers. */
  diagnostics?: DiagnosticSettingsReader;
}

/** One cluster's check: its coverage, and when `checked`, its findings and the rules evaluated. */
export interface ClusterCheck {
  coverage: InClusterCoverage;
  findings: Finding[];
  /**
   * K8S-* rules only when checked (nothing else may resolve a K8S finding of this cluster), plus
   * AKS-AUDIT-LOGS whenever the cluster's diagnostic settings were read: an ARM read, not the API server's.
   */
  evaluatedRuleIds: string[];
  errors: SweepError[];
}

/** Reads one cluster's Kubernetes objects and evaluates the K8S-* rules on what was read. */
export async function checkClusterInside(deps: ClusterCheckDeps, cluster: Cluster): Promise<ClusterCheck> {
  const errors: SweepError[] = [];
  const [outcome, audit] = await Promise.all([
    withDeadline(deps.deadlineSeconds, () => readCluster(deps.reader, cluster, errors)),
    deps.diagnostics === undefined ? undefined : withDeadline(deps.deadlineSeconds, () => checkAuditLogs(deps.diagnostics!, cluster)),
  ]);
  const findings: Finding[] = [...(audit?.findings ?? [])];
  const evaluatedRuleIds: string[] = [...(audit?.evaluatedRuleIds ?? [])];
  if (audit?.error !== undefined) errors.push(audit.error);
  if (outcome === undefined) {
    return { coverage: { state: 'unreachable', reason: `timed out after ${deps.deadlineSeconds ?? 0} s` }, findings, evaluatedRuleIds, errors };
  }
  if (outcome.objects === undefined) return { coverage: outcome.coverage, findings, evaluatedRuleIds, errors };
  const evaluation = evaluateInCluster(cluster, outcome.objects);
  findings.push(...evaluation.findings);
  evaluatedRuleIds.push(...evaluation.evaluatedRuleIds);
  return { coverage: outcome.coverage, findings, evaluatedRuleIds, errors };
}

/** Clusters per coverage state. */
function countStates(states: Iterable<InClusterCoverage>): Record<InClusterState, number> {
  const counts = Object.fromEntries(IN_CLUSTER_STATES.map((state) => [state, 0])) as Record<InClusterState, number>;
  for (const { state } of states) counts[state] += 1;
  return counts;
}

export async function runInClusterStage(
  reader: InClusterReader,
  clusters: readonly Cluster[],
  /** Shared with the other stages, so all of a sweep's calls together stay within the concurrency. */
  limit: LimitFunction,
  coverage: Coverage,
  errors: SweepError[],
  /** Diagnostic settings (AKS-AUDIT-LOGS, one ARM call per cluster); read whatever the Kubernetes API answered. */
  diagnostics?: DiagnosticSettingsReader,
): Promise<InClusterStageResult> {
  const findings: Finding[] = [];
  const states = new Map<string, InClusterCoverage>();
  await Promise.all(
    clusters.map((cluster) =>
      limit(async () => {
        const check = await checkClusterInside({ reader, ...(diagnostics ? { diagnostics } : {}) }, cluster);
        states.set(resourceKey(cluster.id), check.coverage);
        errors.push(...check.errors);
        // An unchecked cluster's findings and evaluated rules are its ARM-read ones (audit logs) only.
        findings.push(...check.findings);
        markEvaluated(coverage, cluster.id, check.evaluatedRuleIds);
      }),
    ),
  );
  return { findings, coverage: states, counts: countStates(states.values()) };
}

/** `work()`, or undefined when it did not settle within `seconds` (the timer is created first, so it wins a tie with the reader's own budget). */
async function withDeadline<T>(seconds: number | undefined, work: () => Promise<T>): Promise<T | undefined> {
  if (seconds === undefined) return work();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), seconds * 1000);
  });
  try {
    return await Promise.race([work(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function readCluster(
  reader: InClusterReader,
  cluster: Cluster,
  errors: SweepError[],
): Promise<{ coverage: InClusterCoverage; objects?: KubernetesObjects }> {
  let read;
  try {
    read = await reader.read(cluster);
  } catch (error) {
    // A reader classifies what it expects (no route, 401/403, local accounts); anything else is a failure of this sweep.
    const failure = toFleetGuardError(error, `reading the Kubernetes objects of cluster ${cluster.name}`);
    errors.push({ scope: 'cluster', target: cluster.name, reason: failure.reason, message: failure.message });
    return { coverage: { state: failure.reason === 'authError' ? 'unauthorized' : 'unreachable', reason: failure.message } };
  }
  if (read.state !== 'checked') return { coverage: { state: read.state, reason: read.reason } };

  const objects: KubernetesObjects = {};
  const unread: KubernetesResource[] = [];
  const reasons: string[] = [];
  for (const resource of KUBERNETES_RESOURCES) {
    const list = read.lists[resource];
    if (list === undefined) {
      unread.push(resource);
      const why = read.unread?.[resource];
      if (why !== undefined) reasons.push(`${resource}: ${why}`);
      continue;
    }
    try {
      Object.assign(objects, { [resource]: parseKubernetesList(resource, list.body, list.source) });
    } catch (error) {
      // A body we cannot read disables only the rules that need it, on this cluster.
      const failure = toFleetGuardError(error, `reading ${resource} of cluster ${cluster.name}`);
      errors.push({ scope: 'cluster', target: cluster.name, reason: failure.reason, message: failure.message });
      unread.push(resource);
      reasons.push(`${resource}: ${failure.message}`);
    }
  }
  return {
    coverage: {
      state: 'checked',
      ...(read.via === undefined ? {} : { via: read.via }),
      ...(unread.length > 0 ? { unread } : {}),
      ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
    },
    objects,
  };
}
