/**
 * What AKS told us through Event Grid about a cluster, kept so rules can read it in every sweep:
 * support ending/ended for a version, and the latest node-pool rolling outcome per pool.
 */
export interface SupportNotice {
  clusterId: string;
  state: 'ending' | 'ended';
  kubernetesVersion: string;
  /** Event time: a notice only replaces an older one. */
  eventTime: string;
}

export interface RollingNotice {
  clusterId: string;
  nodePool: string;
  state: 'started' | 'succeeded' | 'failed';
  eventTime: string;
}

export interface ClusterNotices {
  support: SupportNotice[];
  rolling: RollingNotice[];
}
