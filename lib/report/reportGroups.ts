/**
 * The fleet report groups controls the way the seed practices do, so a reader sees "identity" or
 * "network" rather than 27 rule ids. Each rule declares its group beside its definition (see
 * lib/rules/catalog.ts); the report only titles the groups.
 */
import { PRACTICE_GROUPS, type PracticeGroup } from '../model/ruleMetadata.js';
import { ruleCatalog } from '../rules/catalog.js';

export const REPORT_GROUPS = PRACTICE_GROUPS;
export type ReportGroup = PracticeGroup;

export const GROUP_TITLES: Record<ReportGroup, string> = {
  identity: 'Identity and access',
  network: 'Network',
  workload: 'Workload security',
  secrets: 'Secrets',
  upgrades: 'Upgrades and versions',
  monitoring: 'Monitoring and health',
};

/** The group of every rule of the catalog, in catalog order (the heat map's column order within a group). */
export const RULE_GROUPS: Readonly<Record<string, ReportGroup>> = Object.fromEntries(ruleCatalog().map((rule) => [rule.id, rule.group]));

/** Support status for the version spread, read from the cluster's open version findings. */
export type SupportStatus = 'supported' | 'ending' | 'unsupported' | 'unknown';
const UNSUPPORTED_RULES = new Set(['AKS-VERSION-UNSUPPORTED', 'AKS-SUPPORT-ENDED']);
const ENDING_RULES = new Set(['AKS-VERSION-ENDING', 'AKS-SUPPORT-ENDING']);

export function supportStatus(kubernetesVersion: string, openRuleIds: ReadonlySet<string>): SupportStatus {
  if (kubernetesVersion === '') return 'unknown';
  if ([...UNSUPPORTED_RULES].some((rule) => openRuleIds.has(rule))) return 'unsupported';
  if ([...ENDING_RULES].some((rule) => openRuleIds.has(rule))) return 'ending';
  return 'supported';
}

/** A heatmap column group: a practice group of the rules read from Azure, or the in-cluster group. */
export interface HeatmapGroup {
  title: string;
  rules: string[];
  /** The K8S-* rules: a cluster whose Kubernetes objects were not read shows "not read", never green. */
  inCluster: boolean;
}

/**
 * The heatmap's column groups: the practice groups over the rules read from Azure (ARM, Policy,
 * logs), then one group for the rules read from each cluster's Kubernetes API, so in-cluster posture
 * reads as its own block. Derived from the catalog's `source`, no rule id listed here.
 */
export function heatmapGroups(): HeatmapGroup[] {
  const catalog = ruleCatalog();
  const fromAzure = REPORT_GROUPS.map((group) => ({
    title: GROUP_TITLES[group],
    rules: catalog.filter((rule) => rule.group === group && rule.source !== 'inCluster').map((rule) => rule.id),
    inCluster: false,
  }));
  const inCluster = { title: IN_CLUSTER_TITLE, rules: catalog.filter((rule) => rule.source === 'inCluster').map((rule) => rule.id), inCluster: true };
  return [...fromAzure, inCluster].filter((group) => group.rules.length > 0);
}

export const IN_CLUSTER_TITLE = 'Inside the cluster (Kubernetes API)';
