/**
 * Every rule of CONTRACTS.md §1 with its metadata, gathered from where each kind defines it:
 * posture rules (lib/posture/), notice rules (lib/posture/noticeRules.ts), the policy rule
 * (lib/policy/), the log detections (lib/detections/catalog.ts) and the in-cluster rules of §5 (lib/k8s/). Readers (the report's groups,
 * the rollout health gate, the simulator) derive what they need from here; none keeps a list of its own.
 */
import { detectionRule, DETECTIONS } from '../detections/catalog.js';
import { K8S_RULES } from '../k8s/evaluateInCluster.js';
import type { Framework, FrameworkMapping, HealthSignal, RuleMetadata } from '../model/ruleMetadata.js';
import { POLICY_RULE } from '../policy/policyRules.js';
import { AKS_AUDIT_LOGS } from '../posture/auditLogRules.js';
import { CLUSTER_RULES } from '../posture/evaluateCluster.js';
import { NOTICE_RULES } from '../posture/noticeRules.js';

/** Where a rule reads what it checks: ARM (posture, notices), Azure Policy, Log Analytics, or the cluster's Kubernetes API. */
export type RuleSource = 'arm' | 'policy' | 'logs' | 'inCluster';

/** A catalog entry: the rule's metadata and where it reads from. */
export type CatalogRule = RuleMetadata & { source: RuleSource };

function entry(source: RuleSource) {
  return ({ id, severity, title, practice, group, docUrl, healthSignal, frameworks }: RuleMetadata): CatalogRule => ({
    id,
    severity,
    title,
    practice,
    group,
    docUrl,
    ...(healthSignal === undefined ? {} : { healthSignal }),
    ...(frameworks === undefined ? {} : { frameworks }),
    source,
  });
}

/** Catalog order: posture, notices, policy, detections, in-cluster. Only the metadata (no `evaluate`). */
export function ruleCatalog(): CatalogRule[] {
  return [
    ...[...CLUSTER_RULES, ...NOTICE_RULES, AKS_AUDIT_LOGS].map(entry('arm')),
    entry('policy')(POLICY_RULE),
    ...DETECTIONS.map(detectionRule).map(entry('logs')),
    ...K8S_RULES.map(entry('inCluster')),
  ];
}

/** The signals the rollout health gate watches, each with the rule that declares it. */
export function healthSignals(): Array<HealthSignal & { ruleId: string }> {
  return ruleCatalog().flatMap((rule) => (rule.healthSignal === undefined ? [] : [{ ...rule.healthSignal, ruleId: rule.id }]));
}

let mappings: ReadonlyMap<string, FrameworkMapping> | undefined;

/**
 * The benchmark items a rule corresponds to, as every finding of that rule carries it in
 * `fleetguard sweep --json` (`frameworks`); `{}` for a rule id the catalog does not know.
 */
export function frameworksOf(ruleId: string): FrameworkMapping {
  mappings ??= new Map(ruleCatalog().map((rule) => [rule.id, rule.frameworks ?? {}]));
  return mappings.get(ruleId) ?? {};
}

/** The items of one framework a rule corresponds to (empty when none). */
export function frameworkItems(ruleId: string, framework: Framework): readonly string[] {
  return frameworksOf(ruleId)[framework] ?? [];
}

/**
 * Findings with their rule's benchmark items attached (`frameworks`, additive: no other field
 * changes), the way `fleetguard sweep --json` prints them.
 */
export function withFrameworks<T extends { ruleId: string }>(findings: readonly T[]): Array<T & { frameworks: FrameworkMapping }> {
  return findings.map((finding) => ({ ...finding, frameworks: frameworksOf(finding.ruleId) }));
}
