/**
 * Reactions to AKS and Azure Policy events. Delivery is at-least-once and unordered, so:
 * a processed event id is skipped; notices only replace older ones; policy events older than our
 * last re-evaluation of that cluster are dropped. A malformed or unknown event is reported and
 * completed (throwing would make Event Grid retry a poison event for a day); a transient failure
 * throws so Event Grid retries.
 *
 * Anyone who can write an event subscription on a topic can deliver here, so an event is trusted
 * no further than it can be checked: its cluster id must follow the exact ARM grammar, its
 * subscription must be in scope (else no ARM call is made), a node pool it names must exist on the
 * cluster as ARM returns it, and its time may not be ahead of our clock by more than
 * {@link MAX_EVENT_CLOCK_SKEW_MS}. Only events that were processed leave a row.
 */
import { createHash } from 'node:crypto';

import { z } from 'zod';

import type { AlertPipeline } from '../alerts/alertPipeline.js';
import { describeZodError, FleetGuardError, toFleetGuardError } from '../errors.js';
import type { FindingsStore } from '../findings/findingsStore.js';
import type { ClusterListing } from '../model/cluster.js';
import { type Cluster, resourceKey } from '../model/cluster.js';
import type { Finding } from '../model/finding.js';
import type { KubernetesVersionCatalog } from '../model/kubernetesVersions.js';
import type { ClusterNotices } from '../model/notice.js';
import type { PolicyStateRecord } from '../model/policyState.js';
import { evaluatePolicyStates, POLICY_RULE } from '../policy/policyRules.js';
import { evaluateCluster } from '../posture/evaluateCluster.js';
import { evaluateNotices, NOTICE_RULE_IDS } from '../posture/noticeRules.js';
import { VERSION_RULES } from '../posture/versionRules.js';
import { type ClusterReference, namesManagedCluster, parseClusterResourceId } from './clusterResourceId.js';
import { type EventEnvelope, parseEventEnvelope } from './eventEnvelope.js';
import type { NoticeStore } from './noticeStore.js';

export type EventFamily = 'aks' | 'policy';

export interface EventDependencies {
  notices: Pick<
    NoticeStore,
    | 'wasProcessed'
    | 'markProcessed'
    | 'putSupport'
    | 'putRolling'
    | 'putProgress'
    | 'putLocationVersions'
    | 'policyEvaluatedAt'
    | 'setPolicyEvaluatedAt'
    | 'noticesForCluster'
  >;
  findings: Pick<FindingsStore, 'reconcileSubscription'>;
  clusters: {
    getCluster(subscriptionId: string, resourceGroup: string, name: string): Promise<Cluster | undefined>;
    listClusters(subscriptionId: string): Promise<ClusterListing>;
    listKubernetesVersions(subscriptionId: string, location: string): Promise<KubernetesVersionCatalog>;
  };
  policy: { listNonCompliantClusterStatesInResourceGroup(subscriptionId: string, resourceGroup: string): Promise<PolicyStateRecord[]> };
  /** Alerts for what the reaction changed, at once. */
  alerts?: Pick<AlertPipeline, 'enqueue'>;
  /**
   * Whether a subscription is one the app watches (FLEETGUARD_SUBSCRIPTIONS, or else every one its
   * identity can list). An event about any other is refused before any ARM call.
   */
  inScope(subscriptionId: string): Promise<boolean>;
  /** New processed-event rows one topic may add per hour (FLEETGUARD_EVENT_ROWS_PER_TOPIC_HOUR). */
  processedRowsPerTopicHour: number;
  now: () => Date;
}

/**
 * How far ahead of our clock an event's time may be. Event times order notices (a newer one
 * replaces an older one), so a time in the future would outrank every real notice until then: a
 * "succeeded" dated 9999 would hide every later failure of that pool. Clocks of Azure hosts are
 * synchronised, so five minutes (the tolerance Slack allows for signed requests, and Kerberos's
 * default) covers honest drift; an event further ahead is refused, not clamped, since clamping
 * would still let a forged notice outrank real ones for those minutes.
 */
export const MAX_EVENT_CLOCK_SKEW_MS = 5 * 60_000;

export type EventStatus = 'processed' | 'duplicate' | 'ignored' | 'stale' | 'rejected' | 'failed';

export interface EventOutcome {
  status: EventStatus;
  eventId: string | undefined;
  eventType: string | undefined;
  message: string;
}

const AKS = 'Microsoft.ContainerService.';
const POLICY = 'Microsoft.PolicyInsights.';

const supportData = z.object({ kubernetesVersion: z.string().min(1) });
const rollingData = z.object({ nodePoolName: z.string().min(1) });
const newVersionData = z.object({
  latestSupportedKubernetesVersion: z.string().optional(),
  latestStableKubernetesVersion: z.string().optional(),
  lowestMinorKubernetesVersion: z.string().optional(),
  latestPreviewKubernetesVersion: z.string().optional(),
});
/**
 * `ClusterOutOfSupport` and `NodePoolRollingProgress` are not among the six event types Learn lists
 * for AKS (https://learn.microsoft.com/azure/event-grid/event-schema-aks), nor in the merged spec
 * (`specification/eventgrid/data-plane/Microsoft.ContainerService/stable/2018-01-01/ContainerService.json`)
 * or the SDKs' TypeSpec (`Azure.Messaging.EventGrid.SystemEvents/Microsoft.ContainerService/ContainerService.tsp`).
 * Their samples and data schemas exist in azure-rest-api-specs only as the proposal of PR #23339
 * (closed, not merged), which PR #24105 replaced with ClusterSupportEnding/Ended and
 * NodePoolRollingStarted/Succeeded/Failed. We act on them anyway, as those drafts define them, so a
 * topic that does deliver them is understood. The drafts renamed fields: `outOfSupport` became
 * `isOutOfSupport` and `progressState` became `rollingProgressState`; both spellings are read, the
 * later one first.
 */
const outOfSupportData = z.object({
  kubernetesVersion: z.string().min(1),
  isOutOfSupport: z.boolean().optional(),
  outOfSupport: z.boolean().optional(),
});
/**
 * `Started`, `Succeeded` or `Failed` in the draft, an enum marked `modelAsString`: a new value is
 * kept, not refused. It must still look like one (a word), as it goes into logs and the rollout status.
 */
const progressState = z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/, 'must be a state name such as Started');
const rollingProgressData = z
  .object({ nodePoolName: z.string().min(1), rollingProgressState: progressState.optional(), progressState: progressState.optional() })
  .refine((data) => data.rollingProgressState !== undefined || data.progressState !== undefined, { path: ['rollingProgressState'], message: 'is required' });
/**
 * Only `timestamp` is needed (it orders policy events). The spec's data schema marks nothing
 * required and the TypeSpec marks only `timestamp` required
 * (`Azure.Messaging.EventGrid.SystemEvents/Microsoft.PolicyInsights/PolicyInsights.tsp`), so the
 * ids are optional: an event without them is still a reason to re-evaluate the cluster.
 */
const policyData = z.object({
  timestamp: z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 time'),
  policyAssignmentId: z.string().optional(),
  policyDefinitionId: z.string().optional(),
  subscriptionId: z.string().optional(),
  complianceState: z.string().optional(),
});

function parseData<T>(schema: z.ZodType<T>, event: EventEnvelope): T {
  const parsed = schema.safeParse(event.data);
  if (parsed.success) return parsed.data;
  throw new FleetGuardError('badInput', describeZodError(parsed.error, { whole: 'data', prefix: 'data' }));
}

/**
 * The cluster an event is about, checked before anything reads it: the id strictly parsed (see
 * clusterResourceId.ts) and its subscription in scope, else `badInput` naming the field.
 */
async function clusterInScope(deps: EventDependencies, resourceId: string, field: string, options: { allowChild?: boolean } = {}): Promise<ClusterReference> {
  const reference = parseClusterResourceId(resourceId, field, options);
  if (!(await deps.inScope(reference.subscriptionId))) {
    throw new FleetGuardError(
      'badInput',
      `${field}: subscription ${reference.subscriptionId} is outside the configured scope (FLEETGUARD_SUBSCRIPTIONS); dropped`,
    );
  }
  return reference;
}

/** The cluster's own spelling of `pool`, or `badInput` when ARM lists no such pool (names compare without case). */
function existingPool(cluster: Cluster, pool: string): string {
  const found = cluster.agentPools.find((candidate) => candidate.name.toLowerCase() === pool.toLowerCase());
  if (found === undefined) {
    throw new FleetGuardError('badInput', `data.nodePoolName: cluster ${cluster.name} has no node pool ${JSON.stringify(pool.slice(0, 100))}; dropped`);
  }
  return found.name;
}

/**
 * The sweep id a reaction writes into the findings it touches. An Event Grid id is a short GUID in
 * practice, but any string is valid: a long one is hashed, so the findings write (a Tables property
 * holds at most 32 K characters) cannot fail and lose the event's content.
 */
export function sweepIdOfEvent(eventId: string): string {
  return eventId.length <= 200 ? `event:${eventId}` : `event:sha256:${createHash('sha256').update(eventId).digest('hex')}`;
}

async function reconcileCluster(
  deps: EventDependencies,
  event: EventEnvelope,
  clusters: readonly Cluster[],
  findings: readonly Finding[],
  ruleIds: readonly string[],
): Promise<string> {
  const bySubscription = new Map<string, Cluster[]>();
  for (const cluster of clusters) bySubscription.set(cluster.subscriptionId, [...(bySubscription.get(cluster.subscriptionId) ?? []), cluster]);
  const counts = { opened: 0, reopened: 0, resolved: 0 };
  for (const [subscriptionId, own] of bySubscription) {
    const result = await deps.findings.reconcileSubscription(
      findings.filter((finding) => finding.subscriptionId === subscriptionId),
      {
        subscriptionId,
        sweepId: sweepIdOfEvent(event.id),
        observedAt: deps.now().toISOString(),
        coverage: new Map(own.map((cluster) => [resourceKey(cluster.id), new Set(ruleIds)])),
        // Only these clusters were looked at: nothing else may be resolved as gone.
        listingComplete: false,
      },
    );
    await deps.alerts?.enqueue(result.changes, deps.now());
    // Other writers kept changing the partition: the changes written are alerted above; the event fails so Event Grid redelivers it.
    if (result.gaveUp) throw result.gaveUp;
    counts.opened += result.opened;
    counts.reopened += result.reopened;
    counts.resolved += result.resolved;
  }
  return `${counts.opened + counts.reopened} opened, ${counts.resolved} resolved`;
}

async function currentCluster(deps: EventDependencies, reference: ClusterReference): Promise<Cluster | undefined> {
  return deps.clusters.getCluster(reference.subscriptionId, reference.resourceGroup, reference.name);
}

async function reactToNotice(deps: EventDependencies, event: EventEnvelope, cluster: Cluster, stored: boolean): Promise<EventOutcome> {
  const notices: ClusterNotices = await deps.notices.noticesForCluster(cluster.id);
  const result = await reconcileCluster(deps, event, [cluster], evaluateNotices(cluster, notices), NOTICE_RULE_IDS);
  return outcome('processed', event, `${stored ? 'notice stored' : 'a newer notice was already stored'}; findings: ${result}`);
}

/** The cluster as ARM has it now, or an `ignored` outcome when it is gone. */
async function readCluster(deps: EventDependencies, event: EventEnvelope, reference: ClusterReference): Promise<Cluster | EventOutcome> {
  const cluster = await currentCluster(deps, reference);
  return cluster ?? outcome('ignored', event, `cluster ${reference.id} no longer exists`);
}

function isOutcome(value: Cluster | EventOutcome): value is EventOutcome {
  return 'status' in value;
}

async function handleAks(deps: EventDependencies, event: EventEnvelope): Promise<EventOutcome> {
  const kind = event.type.slice(AKS.length);
  // An AKS system topic is the cluster itself: nothing may follow its name.
  const reference = await clusterInScope(deps, event.source, event.schema === 'eventgrid' ? 'topic' : 'source');
  switch (kind) {
    case 'ClusterSupportEnding':
    case 'ClusterSupportEnded': {
      const data = parseData(supportData, event);
      const cluster = await readCluster(deps, event, reference);
      if (isOutcome(cluster)) return cluster;
      const stored = await deps.notices.putSupport({
        clusterId: reference.id,
        state: kind === 'ClusterSupportEnded' ? 'ended' : 'ending',
        kubernetesVersion: data.kubernetesVersion,
        eventTime: event.time,
      });
      return reactToNotice(deps, event, cluster, stored);
    }
    case 'ClusterOutOfSupport': {
      // Out of support is support ended: Learn describes ClusterSupportEnded as "Triggered when
      // the cluster goes out of support" (https://learn.microsoft.com/azure/event-grid/event-schema-aks),
      // and the draft that proposed ClusterOutOfSupport was replaced by that type (PR #24105). So
      // both feed one support notice per cluster (the newest wins, whichever type said it; an
      // older Ending never downgrades it) and one critical finding, AKS-SUPPORT-ENDED, opened now
      // rather than at the next sweep. Not a second rule: two findings for one fact would page twice.
      const data = parseData(outOfSupportData, event);
      // Absent, the type's own name says it; the draft's sample carries `false`.
      const outOfSupport = data.isOutOfSupport ?? data.outOfSupport ?? true;
      if (!outOfSupport)
        return outcome('ignored', event, `data.isOutOfSupport is false: Kubernetes ${data.kubernetesVersion} is not out of support, nothing recorded`);
      const cluster = await readCluster(deps, event, reference);
      if (isOutcome(cluster)) return cluster;
      const stored = await deps.notices.putSupport({
        clusterId: reference.id,
        state: 'ended',
        kubernetesVersion: data.kubernetesVersion,
        eventTime: event.time,
      });
      return reactToNotice(deps, event, cluster, stored);
    }
    case 'NodePoolRollingProgress': {
      // Recorded for the rollout status only (NoticeStore.poolRollingForCluster); it opens no
      // finding: the failed outcome that does is NodePoolRollingFailed, which supersedes it.
      const data = parseData(rollingProgressData, event);
      const state = data.rollingProgressState ?? data.progressState ?? '';
      const cluster = await readCluster(deps, event, reference);
      if (isOutcome(cluster)) return cluster;
      existingPool(cluster, data.nodePoolName);
      const stored = await deps.notices.putProgress({ clusterId: reference.id, nodePool: data.nodePoolName, state, eventTime: event.time });
      return outcome(
        'processed',
        event,
        stored
          ? `rolling progress of pool ${data.nodePoolName} recorded (${state}); no finding`
          : `a newer rolling progress of pool ${data.nodePoolName} was already stored`,
      );
    }
    case 'NodePoolRollingStarted':
    case 'NodePoolRollingSucceeded':
    case 'NodePoolRollingFailed': {
      const data = parseData(rollingData, event);
      const state = kind === 'NodePoolRollingFailed' ? 'failed' : kind === 'NodePoolRollingSucceeded' ? 'succeeded' : 'started';
      const cluster = await readCluster(deps, event, reference);
      if (isOutcome(cluster)) return cluster;
      existingPool(cluster, data.nodePoolName);
      const stored = await deps.notices.putRolling({ clusterId: reference.id, nodePool: data.nodePoolName, state, eventTime: event.time });
      return reactToNotice(deps, event, cluster, stored);
    }
    case 'NewKubernetesVersionAvailable': {
      parseData(newVersionData, event);
      const cluster = await readCluster(deps, event, reference);
      if (isOutcome(cluster)) return cluster;
      const catalog = await deps.clusters.listKubernetesVersions(cluster.subscriptionId, cluster.location);
      await deps.notices.putLocationVersions(
        cluster.location,
        catalog.minors.map((minor) => minor.minor),
        event.time,
      );
      // Re-evaluate the version rules of the clusters this subscription has in that location.
      const listing = await deps.clusters.listClusters(cluster.subscriptionId);
      const local = listing.clusters.filter((candidate) => candidate.location === cluster.location);
      const versionRuleIds = VERSION_RULES.map((rule) => rule.id);
      const findings = local.flatMap((candidate) => evaluateCluster(candidate, catalog).findings.filter((finding) => versionRuleIds.includes(finding.ruleId)));
      const result = await reconcileCluster(deps, event, local, findings, versionRuleIds);
      return outcome(
        'processed',
        event,
        `versions of ${cluster.location} recorded (${catalog.minors.map((minor) => minor.minor).join(', ')}); ${local.length} clusters re-evaluated; findings: ${result}`,
      );
    }
    default:
      return outcome('ignored', event, 'not an event type this function handles');
  }
}

async function handlePolicy(deps: EventDependencies, event: EventEnvelope): Promise<EventOutcome> {
  const kind = event.type.slice(POLICY.length);
  if (kind !== 'PolicyStateCreated' && kind !== 'PolicyStateChanged' && kind !== 'PolicyStateDeleted')
    return outcome('ignored', event, 'not an event type this function handles');
  const data = parseData(policyData, event);
  if (!namesManagedCluster(event.subject)) return outcome('ignored', event, 'the resource is not an AKS cluster or part of one');
  // A policy subject may name a resource under the cluster (a pool, an in-cluster object).
  const reference = await clusterInScope(deps, event.subject, 'subject', { allowChild: true });
  const evaluatedAt = await deps.notices.policyEvaluatedAt(reference.id);
  if (evaluatedAt !== undefined && Date.parse(data.timestamp) <= Date.parse(evaluatedAt)) {
    return outcome('stale', event, `policy state of ${data.timestamp} is older than the re-evaluation of ${evaluatedAt}`);
  }
  const cluster = await readCluster(deps, event, reference);
  if (isOutcome(cluster)) return cluster;
  const queriedAt = deps.now().toISOString();
  const states = await deps.policy.listNonCompliantClusterStatesInResourceGroup(cluster.subscriptionId, cluster.resourceGroup);
  const result = await reconcileCluster(deps, event, [cluster], evaluatePolicyStates([cluster], states), [POLICY_RULE.id]);
  await deps.notices.setPolicyEvaluatedAt(cluster.id, queriedAt);
  return outcome('processed', event, `policy findings of ${cluster.name} re-evaluated; findings: ${result}`);
}

/** `badInput` when the event's time is further ahead of `now` than {@link MAX_EVENT_CLOCK_SKEW_MS}. */
function refuseFutureTime(event: EventEnvelope, now: Date): void {
  if (Date.parse(event.time) - now.getTime() <= MAX_EVENT_CLOCK_SKEW_MS) return;
  const field = event.schema === 'eventgrid' ? 'Event Grid event: eventTime' : 'CloudEvents event: time';
  throw new FleetGuardError(
    'badInput',
    `${field}: ${event.time} is more than ${MAX_EVENT_CLOCK_SKEW_MS / 60_000} minutes ahead of our clock (${now.toISOString()}); refused, so it cannot outrank later notices`,
  );
}

function outcome(status: EventStatus, event: EventEnvelope | undefined, message: string): EventOutcome {
  return { status, eventId: event?.id, eventType: event?.type, message };
}

/**
 * Handles one delivered event. Returns what happened; throws only when a retry can help
 * (throttling, server errors, storage unavailable).
 */
export async function handleEvent(raw: unknown, family: EventFamily, deps: EventDependencies): Promise<EventOutcome> {
  let event: EventEnvelope;
  try {
    event = parseEventEnvelope(raw);
  } catch (error) {
    return outcome('rejected', undefined, (error as Error).message);
  }
  const prefix = family === 'aks' ? AKS : POLICY;
  if (!event.type.startsWith(prefix)) return outcome('ignored', event, `not a ${prefix}* event`);
  if (await deps.notices.wasProcessed(event.id)) return outcome('duplicate', event, 'already processed');
  let result: EventOutcome;
  try {
    refuseFutureTime(event, deps.now());
    result = family === 'aks' ? await handleAks(deps, event) : await handlePolicy(deps, event);
  } catch (error) {
    const failure = toFleetGuardError(error, `handling ${event.type} ${event.id}`);
    if (failure.reason === 'badInput') return outcome('rejected', event, failure.message);
    if (failure.retryable) throw failure;
    // Permission or request errors will not heal by themselves: report, complete, do not loop.
    return outcome('failed', event, `${failure.reason}: ${failure.message}`);
  }
  // Only a processed event leaves a row: an ignored one is as cheap to ignore again on redelivery,
  // so junk (unknown types, gone clusters) cannot fill the table.
  if (result.status !== 'processed') return result;
  const mark = await deps.notices.markProcessed({ eventId: event.id, eventType: event.type, topic: event.source }, deps.now(), deps.processedRowsPerTopicHour);
  return mark.recorded
    ? result
    : { ...result, message: `${result.message}; not recorded as processed: ${mark.reason} (a redelivery is handled again, idempotently)` };
}
