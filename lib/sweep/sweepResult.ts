import type { EnqueueResult } from '../alerts/alertPipeline.js';
import type { FailureReason } from '../errors.js';
import type { ReconcileCounts } from '../findings/findingsStore.js';
import type { Finding, Severity } from '../model/finding.js';
import type { InClusterState } from '../model/inCluster.js';
import type { InClusterCoverage } from './inClusterStage.js';

/** Which part of a sweep failed. A failure degrades that part only; the rest completes. */
/** `resourceGraph`: the cross-subscription query failed and the sweep fell back to per-subscription calls. */
export type SweepErrorScope = 'discovery' | 'resourceGraph' | 'subscription' | 'location' | 'cluster' | 'policy' | 'workspace' | 'store' | 'alerts';

export interface SweepError {
  scope: SweepErrorScope;
  /** Subscription id, location, cluster name or table. */
  target: string;
  reason: FailureReason;
  message: string;
}

export interface ClusterSummary {
  resourceId: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  kubernetesVersion: string | undefined;
  provisioningState: string | undefined;
  powerState: string | undefined;
  tags: Record<string, string>;
  findings: number;
  worstSeverity: Severity | undefined;
  /** Share of compliant Azure Policy states (0-100), when the cluster has evaluated states. */
  policyCompliancePercent: number | undefined;
  /** Whether its Kubernetes objects were read (K8S-* rules), when the sweep had an in-cluster stage. */
  inCluster?: InClusterCoverage;
}

export type SweepStatus = 'succeeded' | 'partial' | 'failed';

export interface SweepStats {
  subscriptions: { total: number; succeeded: number; failed: number };
  clusters: number;
  locations: { total: number; failed: number };
  findings: { total: number; bySeverity: Record<Severity, number>; byRule: Record<string, number> };
  /** Azure Policy compliance over the fleet's evaluated states. */
  policy: { compliant: number; nonCompliant: number; percent: number | undefined };
  /** Log Analytics detections: workspaces queried, those that failed (fully or partly), queries sent. */
  logs: { workspaces: number; failedWorkspaces: number; queries: number } | undefined;
  durationMs: number;
  /** Clusters per in-cluster coverage state, when the sweep had an in-cluster stage. */
  inCluster?: Record<InClusterState, number>;
  /** What the alert pipeline queued, when alerting is configured. */
  alerts?: EnqueueResult | undefined;
  /** Lifecycle changes written to the findings store, when the sweep had one. */
  store:
    | (ReconcileCounts & {
        subscriptions: number;
        /** Finding rows written: the changes; an open finding seen unchanged is carried by its partition's mark instead. */
        rowsWritten: number;
        /** Entity group transactions the store submitted (one request each, partition marks included). */
        transactions: number;
      })
    | undefined;
}

export interface SweepResult {
  sweepId: string;
  startedAt: string;
  endedAt: string;
  status: SweepStatus;
  findings: Finding[];
  clusters: ClusterSummary[];
  stats: SweepStats;
  errors: SweepError[];
}
