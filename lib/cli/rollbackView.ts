/** What `fleetguard rollouts status` shows of node-pool rollback: per pool whether it applies and why not, and the requests. */
import { shellWord } from '../shellWord.js';
import type { RolloutStatus } from './rolloutsClient.js';

function shortName(resourceId: string): string {
  return resourceId.split('/').at(-1) ?? resourceId;
}

/** The rollback part of `rollouts status`: per pool whether AKS's rollback applies, then the requests. */
export function rollbackView(status: RolloutStatus): string[] {
  const lines: string[] = [];
  const clusters = status.clusters.filter((cluster) => cluster.rollback !== undefined);
  if (clusters.length > 0) lines.push('Node-pool rollback (AKS rolls back node pools only, within 7 days, one step back, auto-upgrade off):');
  for (const cluster of clusters) {
    for (const pool of cluster.rollback?.pools ?? []) {
      const to =
        pool.rollback.to === undefined
          ? ''
          : ` to ${pool.rollback.to.orchestratorVersion}${pool.rollback.to.nodeImageVersion ? ` (${pool.rollback.to.nodeImageVersion})` : ''}`;
      lines.push(
        `  ${shortName(cluster.resourceId)}/${pool.pool}: ${pool.rollback.applies ? `applies${to}: fleetguard rollouts rollback ${shellWord(status.id)} --cluster ${shellWord(shortName(cluster.resourceId))}` : `does not apply${to}: ${pool.rollback.reason ?? ''}`}`,
      );
    }
  }
  if (status.rollbackProblem !== undefined) lines.push(`  ${status.rollbackProblem}`);
  for (const request of status.rollbacks) {
    const targets = request.targets.map((target) => `${shortName(target.resourceId)}/${target.pool} → ${target.to.orchestratorVersion}`).join(', ');
    const approved =
      request.approved === undefined
        ? ''
        : `, approved by ${request.approved.by}${request.approved.byObjectId === undefined ? '' : ` (oid ${request.approved.byObjectId})`}`;
    const results = (request.results ?? [])
      .filter((result) => result.status !== 'RolledBack')
      .map((result) => `${shortName(result.resourceId)}/${result.pool}: ${result.reason ?? result.status}`);
    lines.push(
      `  rollback ${request.rollbackId} ${request.state}: ${targets}; asked by ${request.requested.by}${request.requested.byObjectId === undefined ? '' : ` (oid ${request.requested.byObjectId})`}${approved}${results.length === 0 ? '' : `; ${results.join('; ')}`}`,
    );
  }
  return lines;
}
