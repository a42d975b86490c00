/**
 * Every rule of CONTRACTS.md §1 with its metadata, gathered from where each kind defines it:
 * posture rules (lib/posture/), notice rules (lib/posture/noticeRules.ts), the policy rule
 * (lib/policy/), the log detections (lib/detections/catalog.ts) and the in-cluster rules of §5 (lib/k8s/). Readers (the report's groups,
 * the rollout health gate, the simulator) derive what they need from here; none keeps a list of its own.
 */
import { detectionRule, DETECTIONS } from '../detections/catalog.js';
import { K8S_RULES } from '../k8s/evaluateInCluster.js';
import type { HealthSignal, RuleMetadata } from '../model/ruleMetadata.js';
import { POLICY_RULE } from '../policy/policyRules.js';
import { CLUSTER_RULES } from '../posture/evaluateCluster.js';
import { NOTICE_RULES } from '../posture/noticeRules.js';

/** Catalog order: posture, notices, policy, detections, in-cluster. Only the metadata (no `evaluate`). */
export function ruleCatalog(): RuleMetadata[] {
  return [...CLUSTER_RULES, ...NOTICE_RULES, POLICY_RULE, ...DETECTIONS.map(detectionRule), ...K8S_RULES].map(
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
