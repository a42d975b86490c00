/**
 * The fleet report groups controls the way the seed practices do, so a reader sees "identity" or
 * "network" rather than 27 rule ids. Each rule declares its group beside its definition (see
 * lib/rules/catalog.ts); the report only titles the groups.
 */
import { PRACTICE_GROUPS, type PracticeGroup } from '../model/ruleMetadata.js';
import { ruleCatalog, type RuleSource } from '../rules/catalog.js';

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

/** A practice area of the heatmap and the scores: a practice group of the cluster settings read from ARM, Azure Policy, the log detections, or the rules read inside the cluster. */
export interface HeatmapGroup {
  /** Stable id for anchors and filters (`identity`, `policy`, `detections`, `in-cluster`, ...). */
  id: string;
  title: string;
  rules: string[];
  /** The K8S-* rules: a cluster whose Kubernetes objects were not read shows "not read", never green. */
  inCluster: boolean;
}

export const POLICY_TITLE = 'Azure Policy';
export const DETECTIONS_TITLE = 'Detections (Log Analytics)';
export const IN_CLUSTER_TITLE = 'Inside the cluster (Kubernetes API)';

/**
 * The practice areas, in report order: the practice groups over the cluster settings read from ARM
 * (identity, network, workload, secrets, upgrades, monitoring), then Azure Policy, the detections run
 * over each cluster's logs, and the rules read from each cluster's Kubernetes API, so each source
 * reads as its own block and scores on its own. Derived from the catalog's `group` and `source`; no
 * rule id is listed here.
 */
export function heatmapGroups(): HeatmapGroup[] {
  const catalog = ruleCatalog();
  const fromArm = REPORT_GROUPS.map((group) => ({
    id: group,
    title: GROUP_TITLES[group],
    rules: catalog.filter((rule) => rule.group === group && rule.source === 'arm').map((rule) => rule.id),
    inCluster: false,
  }));
  const bySource = (id: string, title: string, source: RuleSource, inCluster: boolean) => ({
    id,
    title,
    rules: catalog.filter((rule) => rule.source === source).map((rule) => rule.id),
    inCluster,
  });
  return [
    ...fromArm,
    bySource('policy', POLICY_TITLE, 'policy', false),
    bySource('detections', DETECTIONS_TITLE, 'logs', false),
    bySource('in-cluster', IN_CLUSTER_TITLE, 'inCluster', true),
  ].filter((group) => group.rules.length > 0);
}

/** The practice area of a rule id (a rule the catalog does not know reads as monitoring). */
export function groupOfRule(ruleId: string): HeatmapGroup | undefined {
  return heatmapGroups().find((group) => group.rules.includes(ruleId));
}
