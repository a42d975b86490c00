/**
 * Policy stage of a sweep: per listed subscription, one query for non-compliant cluster states and
 * one aggregated query for compliance counts; or, with Azure Resource Graph, each of the two as one
 * paged query over all subscriptions (falling back to the former when it fails). A failing
 * subscription is reported, its clusters are not marked evaluated for POLICY-* (so the store resolves
 * none of their findings) and its policy findings stay as they were. Then, for each subscription with
 * a finding on a cluster that runs the Azure Policy add-on, one component query names the offending
 * pods on its findings: Policy Insights calls scale with subscriptions, not clusters. A failing one is
 * reported and leaves those findings without that detail.
 */
import type { LimitFunction } from 'p-limit';

import { toFleetGuardError } from '../errors.js';
import { type Cluster, parseResourceId, resourceKey } from '../model/cluster.js';
import type { Finding } from '../model/finding.js';
import type { ComplianceCount, PolicyComponentRecord, PolicyDefinitionName, PolicyStateRecord } from '../model/policyState.js';
import { attachPolicyComponents, clustersToAskForComponents } from '../policy/policyComponents.js';
import { NO_POLICY_NAMES, policyIdsOf, type PolicyNames, policyNames } from '../policy/policyNames.js';
import { computeCompliance, evaluatePolicyStates, POLICY_RULE } from '../policy/policyRules.js';
import { type Coverage, markEvaluated } from './coverage.js';
import type { SweepError } from './sweepResult.js';

export interface PolicyReader {
  listNonCompliantClusterStates(subscriptionId: string): Promise<PolicyStateRecord[]>;
  summarizeClusterCompliance(subscriptionId: string): Promise<ComplianceCount[]>;
  /** The non-compliant components (pods, ...) of one cluster running the Azure Policy add-on; without it findings carry none. */
  listNonCompliantComponents?(clusterId: string): Promise<PolicyComponentRecord[]>;
  /**
   * The same for all clusters of a subscription in one query, used when present. `complete` false
   * (the unpaged answer may be cut) sends the subscription's clusters to `listNonCompliantComponents`.
   */
  listNonCompliantComponentsInSubscription?(subscriptionId: string): Promise<{ records: PolicyComponentRecord[]; complete: boolean }>;
  /**
   * Display names of policy definitions and initiatives by id (one Resource Graph query per sweep);
   * without it, or when it fails, findings name definitions by their GUID.
   */
  listPolicyDefinitionNames?(ids: readonly string[], subscriptionIds: readonly string[]): Promise<PolicyDefinitionName[]>;
  /** The same over many subscriptions in one paged query each (Azure Resource Graph), when configured. */
  acrossSubscriptions?: {
    /** The subscriptions these queries may answer for (lower-cased); the rest go per subscription. */
    readableSubscriptions(subscriptionIds: readonly string[]): Promise<Set<string>>;
    /** `slots`: the requests of a query run within it, side by side. */
    listNonCompliantClusterStates(subscriptionIds: readonly string[], slots: LimitFunction): Promise<PolicyStateRecord[]>;
    summarizeClusterCompliance(subscriptionIds: readonly string[], slots: LimitFunction): Promise<ComplianceCount[]>;
  };
}

export interface PolicyStageResult {
  findings: Finding[];
  /** Compliance per cluster key, for clusters with evaluated states. */
  compliance: ReturnType<typeof computeCompliance>;
  calls: number;
}

export async function runPolicyStage(
  reader: PolicyReader,
  clusters: readonly Cluster[],
  listedSubscriptions: readonly string[],
  /** Shared with the other stages, so all of a sweep's calls together stay within the concurrency. */
  limit: LimitFunction,
  coverage: Coverage,
  errors: SweepError[],
  /** Use the reader's cross-subscription queries (when the inventory came from Resource Graph). */
  options: { acrossSubscriptions: boolean } = { acrossSubscriptions: true },
): Promise<PolicyStageResult> {
  // States are evaluated once all are in, so the definitions' names are looked up once per sweep.
  const evaluated: Array<{ clusters: readonly Cluster[]; states: readonly PolicyStateRecord[] }> = [];
  const counts: ComplianceCount[] = [];
  const clustersBySubscription = new Map<string, Cluster[]>();
  for (const cluster of clusters) {
    const own = clustersBySubscription.get(cluster.subscriptionId);
    if (own) own.push(cluster);
    else clustersBySubscription.set(cluster.subscriptionId, [cluster]);
  }
  // Component queries (one per subscription with a flagged cluster running the add-on) start
  // as soon as the non-compliant states are in, not after the compliance summary and the names: those
  // are Resource Graph pages that may wait for the identity's quota window (15 queries per 5 s).
  const components = componentReads(reader, limit, errors);

  // Subscriptions without clusters have nothing to evaluate: no call.
  const subscriptions = listedSubscriptions.filter((subscriptionId) => clustersBySubscription.has(subscriptionId));
  let perSubscription = subscriptions;
  if (reader.acrossSubscriptions !== undefined && options.acrossSubscriptions && subscriptions.length > 0) {
    const across = reader.acrossSubscriptions;
    try {
      const readable = await limit(() => across.readableSubscriptions(subscriptions));
      const vouched = subscriptions.filter((id) => readable.has(id.toLowerCase()));
      if (vouched.length > 0) {
        const statesRead = across.listNonCompliantClusterStates(vouched, limit).then((states) => {
          const statesBySubscription = new Map<string, PolicyStateRecord[]>();
          for (const state of states) {
            const owner = parseResourceId(state.resourceId).subscriptionId?.toLowerCase() ?? '';
            const own = statesBySubscription.get(owner);
            if (own) own.push(state);
            else statesBySubscription.set(owner, [state]);
          }
          const parts = vouched.map((subscriptionId) => ({
            clusters: clustersBySubscription.get(subscriptionId) ?? [],
            states: statesBySubscription.get(subscriptionId.toLowerCase()) ?? [],
          }));
          components.ask(parts);
          return parts;
        });
        const [parts, summary] = await Promise.all([statesRead, across.summarizeClusterCompliance(vouched, limit)]);
        for (const part of parts) {
          evaluated.push(part);
          for (const cluster of part.clusters) markEvaluated(coverage, cluster.id, [POLICY_RULE.id]);
        }
        counts.push(...summary);
      }
      perSubscription = subscriptions.filter((id) => !readable.has(id.toLowerCase()));
    } catch (error) {
      const failure = toFleetGuardError(error, 'querying Azure Resource Graph for policy states');
      errors.push({
        scope: 'resourceGraph',
        target: 'policy',
        reason: failure.reason,
        message: `${failure.message} (fell back to Policy Insights per subscription)`,
      });
    }
  }
  await Promise.all(
    perSubscription.flatMap((subscriptionId) => {
      const own = clustersBySubscription.get(subscriptionId) ?? [];
      return [
        limit(async () => {
          try {
            const part = { clusters: own, states: await reader.listNonCompliantClusterStates(subscriptionId) };
            evaluated.push(part);
            for (const cluster of own) markEvaluated(coverage, cluster.id, [POLICY_RULE.id]);
            components.ask([part]);
          } catch (error) {
            const failure = toFleetGuardError(error, `querying policy states of subscription ${subscriptionId}`);
            errors.push({ scope: 'policy', target: subscriptionId, reason: failure.reason, message: failure.message });
          }
        }),
        limit(async () => {
          try {
            counts.push(...(await reader.summarizeClusterCompliance(subscriptionId)));
          } catch (error) {
            const failure = toFleetGuardError(error, `summarizing policy compliance of subscription ${subscriptionId}`);
            errors.push({ scope: 'policy', target: subscriptionId, reason: failure.reason, message: failure.message });
          }
        }),
      ];
    }),
  );
  const [names, componentReadsDone] = await Promise.all([readNames(reader, evaluated, limit, errors), components.done()]);
  const findings = evaluated.flatMap((part) => evaluatePolicyStates(part.clusters, part.states, names.names));
  return {
    findings: attachPolicyComponents(findings, componentReadsDone.byCluster),
    compliance: computeCompliance(clusters, counts),
    calls: perSubscription.length * 2 + componentReadsDone.calls + names.calls,
  };
}

/**
 * The display names of the definitions and initiatives of the non-compliant states that belong to
 * fleet clusters: one lookup for the sweep. A failure is reported once and costs only the names.
 */
async function readNames(
  reader: PolicyReader,
  evaluated: ReadonlyArray<{ clusters: readonly Cluster[]; states: readonly PolicyStateRecord[] }>,
  limit: LimitFunction,
  errors: SweepError[],
): Promise<{ names: PolicyNames; calls: number }> {
  const lookUp = reader.listPolicyDefinitionNames?.bind(reader);
  const relevant = evaluated.filter((part) => part.clusters.length > 0);
  const ids = policyIdsOf(relevant.flatMap((part) => part.states.filter((state) => state.complianceState.toLowerCase() === 'noncompliant')));
  if (lookUp === undefined || ids.length === 0) return { names: NO_POLICY_NAMES, calls: 0 };
  const subscriptionIds = [...new Set(relevant.flatMap((part) => part.clusters.map((cluster) => cluster.subscriptionId)))].sort();
  try {
    return { names: policyNames(await limit(() => lookUp(ids, subscriptionIds))), calls: 1 };
  } catch (error) {
    const failure = toFleetGuardError(error, 'looking up policy definition names in Azure Resource Graph');
    errors.push({
      scope: 'policy',
      target: 'definition names',
      reason: failure.reason,
      message: `${failure.message} (policy findings name definitions by id)`,
    });
    return { names: NO_POLICY_NAMES, calls: 1 };
  }
}

type EvaluatedPart = { clusters: readonly Cluster[]; states: readonly PolicyStateRecord[] };

/**
 * Component queries within the shared limit: one per subscription whose clusters have a policy
 * finding and run the add-on (or, for a reader without the subscription query, or a subscription
 * whose answer may be cut, one per such cluster). `ask` starts the queries for the clusters of some
 * evaluated states (each cluster once, however often asked); `done` waits for all of them. A cluster
 * whose components were read gets its list, possibly empty; the others' findings carry none.
 */
function componentReads(
  reader: PolicyReader,
  limit: LimitFunction,
  errors: SweepError[],
): {
  ask(parts: readonly EvaluatedPart[]): void;
  done(): Promise<{ byCluster: Map<string, PolicyComponentRecord[]>; calls: number }>;
} {
  const byCluster = new Map<string, PolicyComponentRecord[]>();
  const asked = new Set<string>();
  const partsSeen = new WeakSet<object>();
  const reads: Array<Promise<void>> = [];
  let calls = 0;
  const listComponents = reader.listNonCompliantComponents?.bind(reader);
  const listInSubscription = reader.listNonCompliantComponentsInSubscription?.bind(reader);

  const readCluster = (cluster: Cluster): Promise<void> => {
    if (listComponents === undefined) return Promise.resolve();
    return limit(async () => {
      calls += 1;
      try {
        byCluster.set(resourceKey(cluster.id), await listComponents(cluster.id));
      } catch (error) {
        const failure = toFleetGuardError(error, `querying component policy states of cluster ${cluster.name}`);
        errors.push({
          scope: 'policy',
          target: cluster.name,
          reason: failure.reason,
          message: `${failure.message} (its policy findings are kept without pod-level detail)`,
        });
      }
    });
  };

  const readSubscription = async (subscriptionId: string, wanted: readonly Cluster[]): Promise<void> => {
    if (listInSubscription === undefined) return;
    const answer = await limit(async () => {
      calls += 1;
      try {
        return await listInSubscription(subscriptionId);
      } catch (error) {
        const failure = toFleetGuardError(error, `querying component policy states of subscription ${subscriptionId}`);
        errors.push({
          scope: 'policy',
          target: subscriptionId,
          reason: failure.reason,
          message: `${failure.message} (the policy findings of its clusters are kept without pod-level detail)`,
        });
        return undefined;
      }
    });
    if (answer === undefined) return;
    if (!answer.complete) {
      // The unpaged answer reached $top: it may lack some clusters' rows, so none of it is trusted
      // and each flagged cluster is asked on its own.
      await Promise.all(wanted.map(readCluster));
      return;
    }
    const own = new Map(wanted.map((cluster) => [resourceKey(cluster.id), [] as PolicyComponentRecord[]]));
    for (const record of answer.records) own.get(resourceKey(record.resourceId))?.push(record);
    for (const [key, records] of own) byCluster.set(key, records);
  };

  return {
    ask(parts) {
      if (listComponents === undefined && listInSubscription === undefined) return;
      for (const part of parts) {
        if (partsSeen.has(part)) continue;
        partsSeen.add(part);
        // Which clusters have a finding does not depend on the definitions' names: evaluated without them here.
        const wanted = clustersToAskForComponents(part.clusters, evaluatePolicyStates(part.clusters, part.states)).filter((cluster) => {
          const key = resourceKey(cluster.id);
          if (asked.has(key)) return false;
          asked.add(key);
          return true;
        });
        if (wanted.length === 0) continue;
        if (listInSubscription === undefined) {
          reads.push(...wanted.map(readCluster));
          continue;
        }
        const bySubscription = new Map<string, Cluster[]>();
        for (const cluster of wanted) {
          const own = bySubscription.get(cluster.subscriptionId);
          if (own) own.push(cluster);
          else bySubscription.set(cluster.subscriptionId, [cluster]);
        }
        for (const [subscriptionId, own] of bySubscription) reads.push(readSubscription(subscriptionId, own));
      }
    },
    async done() {
      await Promise.all(reads);
      return { byCluster, calls };
    },
  };
}
