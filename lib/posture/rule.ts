import type { Cluster } from '../model/cluster.js';
import type { Finding } from '../model/finding.js';
import { findingFingerprint } from '../model/finding.js';
import type { KubernetesVersionCatalog } from '../model/kubernetesVersions.js';
import type { RuleMetadata } from '../model/ruleMetadata.js';
import { shellWord } from '../shellWord.js';

/**
 * How the posture rules decide what a tag means: a cluster is production when its tag `name`
 * (compared case-insensitively, as ARM compares tag names) has one of `values` (case-insensitively).
 * Parsed from FLEETGUARD_PRODUCTION_TAG (lib/config.ts).
 */
export interface PostureSettings {
  productionTag: { name: string; values: readonly string[] };
}

/** `environment=production|prod`: the tag the Cloud Adoption Framework's tagging guidance names for it. */
export const DEFAULT_POSTURE_SETTINGS: PostureSettings = { productionTag: { name: 'environment', values: ['production', 'prod'] } };

/** What a rule may read. `versions` is undefined when the location's catalog could not be fetched. */
export interface RuleInput {
  cluster: Cluster;
  versions: KubernetesVersionCatalog | undefined;
  settings: PostureSettings;
}

/** One firing of a rule: what is wrong, what to change, and (optionally) which part of the cluster. */
export interface RuleHit {
  detail: string;
  subject?: string;
}

/** A posture rule: its metadata (group, severity, gate signal, docs) beside its check. */
export interface ClusterRule extends RuleMetadata {
  /** Inputs besides the cluster; a rule whose input is missing is not evaluated (and cannot resolve). */
  needs: 'cluster' | 'versions';
  evaluate(input: RuleInput): RuleHit[];
}

/** The `az aks` target arguments of a cluster, for copy-paste fixes in details; each value shell-quoted. */
export function azTarget(cluster: Pick<Cluster, 'resourceGroup' | 'name'>): string {
  return `-g ${shellWord(cluster.resourceGroup)} -n ${shellWord(cluster.name)}`;
}

/** The `az aks nodepool` cluster arguments (the pool's `--name` follows); each value shell-quoted. */
export function azPoolTarget(cluster: Pick<Cluster, 'resourceGroup' | 'name'>): string {
  return `-g ${shellWord(cluster.resourceGroup)} --cluster-name ${shellWord(cluster.name)}`;
}

export function toFinding(rule: ClusterRule, cluster: Cluster, hit: RuleHit): Finding {
  return {
    ruleId: rule.id,
    resourceId: cluster.id,
    subscriptionId: cluster.subscriptionId,
    clusterName: cluster.name,
    severity: rule.severity,
    title: rule.title,
    detail: hit.detail,
    practice: rule.practice,
    docUrl: rule.docUrl,
    subject: hit.subject,
    fingerprint: findingFingerprint(rule.id, cluster.id, hit.subject),
    clusterTags: cluster.tags,
  };
}
