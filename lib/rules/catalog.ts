/**
 * Every rule of CONTRACTS.md §1 with its metadata, gathered from where each kind defines it:
 * posture rules (lib/posture/), notice rules (lib/posture/noticeRules.ts), the policy rule
 * (lib/policy/) and the log detections (lib/detections/catalog.ts). Readers (the report's groups,
 * the rollout health gate, the simulator) derive what they need from here; none keeps a list of its own.
 */
import { detectionRule, DETECTIONS } from '../detections/catalog.js';
import type { HealthSignal, RuleMetadata } from '../model/ruleMetadata.js';
import { POLICY_RULE } from '../policy/policyRules.js';
import { CLUSTER_RULES } from '../posture/evaluateCluster.js';
import { NOTICE_RULES } from '../posture/noticeRules.js';

/** Catalog order: posture, notices, policy, detections. Only the metadata (no `evaluate`). */
export function ruleCatalog(): RuleMetadata[] {
  return [...CLUSTER_RULES, ...NOTICE_RULES, POLICY_RULE, ...DETECTIONS.map(detectionRule)].map(
    ({ id, severity, title, practice, group, docUrl, healthSignal }) => ({
      id,
      severity,
      title,
      practice,
      group,
      docUrl,
      ...(healthSignal === undefined ? {} : { healthSignal }),
    }),
  );
}

/** The signals the rollout health gate watches, each with the rule that declares it. */
export function healthSignals(): Array<HealthSignal & { ruleId: string }> {
  return ruleCatalog().flatMap((rule) => (rule.healthSignal === undefined ? [] : [{ ...rule.healthSignal, ruleId: rule.id }]));
}
