/**
 * In-cluster stage of a sweep (CONTRACTS.md §5): per cluster, the Kubernetes objects through the
 * reader, then the K8S-* rules. Every cluster ends in one coverage state; only `checked` marks rules
 * as evaluated, so a cluster that could not be read keeps its K8S findings as they were.
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
}

export interface InClusterStageResult {
  findings: Finding[];
  /** Coverage by cluster key. */
  coverage: Map<string, InClusterCoverage>;
  /** Clusters per state. */
  counts: Record<InClusterState, number>;
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
        if (diagnostics !== undefined) {
          const audit = await checkAuditLogs(diagnostics, cluster);
          findings.push(...audit.findings);
          markEvaluated(coverage, cluster.id, audit.evaluatedRuleIds);
          if (audit.error !== undefined) errors.push(audit.error);
        }
        const outcome = await checkCluster(reader, cluster, errors);
        states.set(resourceKey(cluster.id), outcome.coverage);
        if (outcome.objects === undefined) return;
        const evaluation = evaluateInCluster(cluster, outcome.objects);
        findings.push(...evaluation.findings);
        markEvaluated(coverage, cluster.id, evaluation.evaluatedRuleIds);
      }),
    ),
  );
  const counts = Object.fromEntries(IN_CLUSTER_STATES.map((state) => [state, 0])) as Record<InClusterState, number>;
  for (const { state } of states.values()) counts[state] += 1;
  return { findings, coverage: states, counts };
}

async function checkCluster(
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
    coverage: { state: 'checked', ...(unread.length > 0 ? { unread } : {}), ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}) },
    objects,
  };
}
