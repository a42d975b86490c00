/**
 * Rules fed by AKS Event Grid notices. They fire at once when the event arrives and are evaluated
 * again by every sweep, so they resolve when the cluster moves on (upgraded past the version, pool
 * rolled successfully). AKS-SUPPORT-ENDED is fed by ClusterSupportEnded and by the draft type
 * ClusterOutOfSupport (one fact, one notice: see handleEvent.ts). NodePoolRollingProgress feeds no
 * rule: it is kept for the rollout status only.
 */
import { type Cluster, resourceKey } from '../model/cluster.js';
import type { Finding } from '../model/finding.js';
import { minorOf } from '../model/kubernetesVersions.js';
import type { ClusterNotices } from '../model/notice.js';
import type { RuleMetadata } from '../model/ruleMetadata.js';
import { shellWord } from '../shellWord.js';
import { azPoolTarget, azTarget, type ClusterRule, toFinding } from './rule.js';

type NoticeRuleId = 'AKS-SUPPORT-ENDING' | 'AKS-SUPPORT-ENDED' | 'AKS-NODEPOOL-ROLLING-FAILED';

const rules: Record<NoticeRuleId, RuleMetadata & { id: NoticeRuleId }> = {
  'AKS-SUPPORT-ENDING': {
    id: 'AKS-SUPPORT-ENDING',
    frameworks: {},
    severity: 'high',
    title: 'AKS announced the end of support for this cluster version',
    practice: 'Keep clusters updated',
    group: 'upgrades',
    docUrl: 'https://learn.microsoft.com/azure/aks/supported-kubernetes-versions',
  },
  'AKS-SUPPORT-ENDED': {
    id: 'AKS-SUPPORT-ENDED',
    frameworks: {},
    severity: 'critical',
    title: 'AKS support for this cluster version has ended',
    practice: 'Keep clusters updated',
    group: 'upgrades',
    docUrl: 'https://learn.microsoft.com/azure/aks/supported-kubernetes-versions',
  },
  'AKS-NODEPOOL-ROLLING-FAILED': {
    id: 'AKS-NODEPOOL-ROLLING-FAILED',
    frameworks: {},
    severity: 'high',
    title: 'A node pool upgrade (rolling) failed',
    practice: 'Upgrade hygiene',
    group: 'upgrades',
    healthSignal: { name: 'nodepool-rolling-failed', fails: 'anyRise' },
    docUrl: 'https://learn.microsoft.com/azure/aks/upgrade-aks-cluster',
  },
};

/** The notice rules' metadata, in catalog order. */
export const NOTICE_RULES: readonly RuleMetadata[] = Object.values(rules);
export const NOTICE_RULE_IDS: readonly NoticeRuleId[] = Object.values(rules).map((rule) => rule.id);

function asRule(id: NoticeRuleId): ClusterRule {
  return { ...rules[id], needs: 'cluster', evaluate: () => [] };
}

/** Findings from the notices of one cluster. */
export function evaluateNotices(cluster: Cluster, notices: ClusterNotices): Finding[] {
  const key = resourceKey(cluster.id);
  const findings: Finding[] = [];
  const currentMinor = minorOf(cluster.kubernetesVersion);
  const support = notices.support
    .filter((notice) => resourceKey(notice.clusterId) === key && currentMinor !== undefined && minorOf(notice.kubernetesVersion) === currentMinor)
    .sort((left, right) => right.eventTime.localeCompare(left.eventTime))[0];
  if (support !== undefined) {
    const ruleId = support.state === 'ended' ? 'AKS-SUPPORT-ENDED' : 'AKS-SUPPORT-ENDING';
    const detail =
      support.state === 'ended'
        ? `AKS reported on ${support.eventTime} that support for Kubernetes ${support.kubernetesVersion} on cluster ${cluster.name} has ended: no more security fixes. Upgrade now: az aks upgrade ${azTarget(cluster)} --kubernetes-version <next minor>.`
        : `AKS reported on ${support.eventTime} that support for Kubernetes ${support.kubernetesVersion} on cluster ${cluster.name} is ending. Schedule the upgrade to the next minor: az aks get-upgrades ${azTarget(cluster)}.`;
    findings.push(toFinding(asRule(ruleId), cluster, { detail, subject: minorOf(support.kubernetesVersion) }));
  }
  const latestPerPool = new Map<string, (typeof notices.rolling)[number]>();
  for (const notice of notices.rolling) {
    if (resourceKey(notice.clusterId) !== key) continue;
    const pool = notice.nodePool.toLowerCase();
    const previous = latestPerPool.get(pool);
    if (previous === undefined || notice.eventTime > previous.eventTime) latestPerPool.set(pool, notice);
  }
  for (const notice of latestPerPool.values()) {
    if (notice.state !== 'failed') continue;
    findings.push(
      toFinding(asRule('AKS-NODEPOOL-ROLLING-FAILED'), cluster, {
        subject: notice.nodePool.toLowerCase(),
        detail: `Node pool ${notice.nodePool} of cluster ${cluster.name} failed to roll (upgrade or node image update) at ${notice.eventTime}; nodes may be on mixed versions. Check the activity log and the pool's upgrade settings (max surge, PDBs blocking drain), then retry: az aks nodepool upgrade ${azPoolTarget(cluster)} --name ${shellWord(notice.nodePool)}`,
      }),
    );
  }
  return findings;
}
