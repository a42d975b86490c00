/**
 * What every shard of one sweep would otherwise read again, read once and shared
 * (lib/sweep/streamingSweep.ts): each location's Kubernetes versions, each workspace's detection
 * query (a query spans the whole workspace, and round-robin workspaces hold clusters of every shard)
 * and the Event Grid notices. Kept for one sweep only: a new sweep asks afresh.
 */
import { resourceKey } from '../model/cluster.js';
import type { KubernetesVersionCatalog } from '../model/kubernetesVersions.js';
import type { LogsQueryOutcome } from '../model/logsQuery.js';
import type { ClusterNotices } from '../model/notice.js';
import type { KubernetesVersionsCache } from './inventory.js';
import type { SweepDependencies } from './runSweep.js';

export interface SharedReads {
  /** The dependencies to hand every shard of the sweep. */
  deps: SweepDependencies;
  /** Calls really sent, whatever the number of shards that asked. */
  counts(): { locations: number; workspaces: number; logQueries: number; noticeReads: number };
}

export function shareReads(deps: SweepDependencies): SharedReads {
  const versions: KubernetesVersionsCache = deps.versions ?? new Map<string, Promise<KubernetesVersionCatalog>>();
  const workspaces = new Set<string>();
  const answers = new Map<string, Promise<LogsQueryOutcome>>();
  let noticeReads = 0;
  let notices: Promise<ClusterNotices> | undefined;
  const source = deps.notices;
  const logs = deps.logs;
  const shared: SweepDependencies = {
    ...deps,
    versions,
    // A failure is shared too: every shard reports it (the merge keeps it once) and none resolves what it could not see.
    ...(source
      ? {
          notices: {
            listClusterNotices: () => {
              if (notices === undefined) {
                noticeReads += 1;
                notices = source.listClusterNotices();
              }
              return notices;
            },
          },
        }
      : {}),
    ...(logs
      ? {
          logs: {
            settings: logs.settings,
            reader: {
              query: (workspaceId, query, lookbackMinutes) => {
                const key = `${resourceKey(workspaceId)}\n${lookbackMinutes}\n${query}`;
                let answer = answers.get(key);
                if (answer === undefined) {
                  workspaces.add(resourceKey(workspaceId));
                  answer = logs.reader.query(workspaceId, query, lookbackMinutes);
                  answers.set(key, answer);
                }
                return answer;
              },
            },
          },
        }
      : {}),
  };
  return {
    deps: shared,
    counts: () => ({ locations: versions.size, workspaces: workspaces.size, logQueries: answers.size, noticeReads }),
  };
}
