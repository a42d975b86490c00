/**
 * What AKS told us through Event Grid about a cluster, kept so rules can read it in every sweep:
 * support ending/ended for a version, and the latest node-pool rolling outcome per pool.
 */
export interface SupportNotice {
  clusterId: string;
  /**
   * `ended` comes from `ClusterSupportEnded`, and also from `ClusterOutOfSupport` with
   * `isOutOfSupport` true: both say the cluster's version is out of support (see handleEvent.ts).
   */
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

/**
 * A `NodePoolRollingProgress` report: the pool's rolling state as that event carries it. Kept
 * apart from {@link RollingNotice}: it never opens a finding, it only tells the rollout where a
 * pool is.
 */
export interface RollingProgressNotice {
  clusterId: string;
  nodePool: string;
  /** `Started`, `Succeeded`, `Failed`, or a value AKS adds later (the spec's enum is `modelAsString`). */
  state: string;
  eventTime: string;
}

/** Where a node pool's rolling (upgrade or node-image update) stands, as AKS last reported it. */
export interface PoolRollingProgress {
  nodePool: string;
  state: string;
  eventTime: string;
  /** The event type that reported it (without the `Microsoft.ContainerService.` prefix). */
  reportedBy: 'NodePoolRollingProgress' | 'NodePoolRollingStarted' | 'NodePoolRollingSucceeded' | 'NodePoolRollingFailed';
}

const ROLLING_EVENT = {
  started: ['NodePoolRollingStarted', 'Started'],
  succeeded: ['NodePoolRollingSucceeded', 'Succeeded'],
  failed: ['NodePoolRollingFailed', 'Failed'],
} as const;

/**
 * The latest rolling report of each pool of one cluster: the newest progress report, unless a
 * `NodePoolRollingStarted/Succeeded/Failed` of that pool is as new or newer (a dedicated outcome
 * supersedes progress; at the same time the dedicated event wins). Pool names compare without case,
 * as AKS treats them. Sorted by pool name.
 */
export function latestPoolRolling(progress: readonly RollingProgressNotice[], rolling: readonly RollingNotice[]): PoolRollingProgress[] {
  const latest = new Map<string, PoolRollingProgress>();
  const offer = (candidate: PoolRollingProgress, winsTies: boolean) => {
    const pool = candidate.nodePool.toLowerCase();
    const current = latest.get(pool);
    if (current === undefined || candidate.eventTime > current.eventTime || (winsTies && candidate.eventTime === current.eventTime))
      latest.set(pool, candidate);
  };
  for (const notice of progress)
    offer({ nodePool: notice.nodePool, state: notice.state, eventTime: notice.eventTime, reportedBy: 'NodePoolRollingProgress' }, false);
  for (const notice of rolling) {
    const [reportedBy, state] = ROLLING_EVENT[notice.state];
    offer({ nodePool: notice.nodePool, state, eventTime: notice.eventTime, reportedBy }, true);
  }
  return [...latest.values()].sort((left, right) => left.nodePool.toLowerCase().localeCompare(right.nodePool.toLowerCase()));
}
