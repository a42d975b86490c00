import { resourceKey } from '../model/cluster.js';

/** Cluster key (lower-cased id) → rule ids evaluated completely for that cluster in this sweep. */
export type Coverage = Map<string, Set<string>>;

export function markEvaluated(coverage: Coverage, clusterId: string, ruleIds: Iterable<string>): void {
  const key = resourceKey(clusterId);
  const rules = coverage.get(key) ?? new Set<string>();
  for (const ruleId of ruleIds) rules.add(ruleId);
  coverage.set(key, rules);
}
