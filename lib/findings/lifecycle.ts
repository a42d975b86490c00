/**
 * The finding lifecycle as a pure function: given what the store holds and what a sweep observed,
 * what each stored finding becomes. The store applies the result with ETag-conditional writes.
 */
import { resourceKey } from '../model/cluster.js';
import type { Finding } from '../model/finding.js';

export type FindingStatus = 'open' | 'resolved';
/** Why a finding was resolved: the rule no longer fires, or its cluster is gone. */
export type Resolution = 'notObserved' | 'clusterGone';

/** One state change of a finding, as `fleetguard findings show` tells it. */
export interface FindingEvent {
  kind: 'opened' | 'reopened' | 'resolved';
  /** The observation time of the sweep that made the change. */
  at: string;
  sweepId: string;
  resolution?: Resolution;
}

/**
 * State changes kept per finding: the latest ones (firstSeen and timesOpened keep the whole count), so
 * a finding that flaps every sweep cannot grow its row towards the 64 KiB property limit of Azure
 * Tables (Learn: "Understanding the Table service data model", property value sizes).
 */
export const HISTORY_LIMIT = 20;

function withEvent(history: readonly FindingEvent[] | undefined, event: FindingEvent): FindingEvent[] {
  return [...(history ?? []), event].slice(-HISTORY_LIMIT);
}

/** A finding as the store keeps it: what was observed, plus its lifecycle. */
export interface StoredFinding extends Finding {
  status: FindingStatus;
  firstSeen: string;
  lastSeen: string;
  resolvedAt: string | undefined;
  resolution: Resolution | undefined;
  /** How often it went from not-open to open (1 on creation). */
  timesOpened: number;
  /** Start time of the sweep that last wrote this row; an older sweep never overwrites a newer one. */
  observedAt: string;
  sweepId: string;
  /** Its state changes, oldest first (absent on rows written before the history was kept). */
  history?: FindingEvent[];
}

/** What one sweep covered in one subscription whose cluster listing completed. */
export interface SweepScope {
  subscriptionId: string;
  sweepId: string;
  /** ISO time the sweep started: the observation time of everything it saw. */
  observedAt: string;
  /** Cluster key (lower-cased id) → rule ids evaluated completely for that cluster. */
  coverage: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * False when the listing returned a cluster that could not be read: a cluster missing from
   * `coverage` may then be that one, so its findings are not resolved as gone.
   */
  listingComplete: boolean;
}

export type ChangeKind = 'opened' | 'reopened' | 'updated' | 'resolved';

export interface LifecycleChange {
  kind: ChangeKind;
  next: StoredFinding;
  previous: StoredFinding | undefined;
}

function fromObservation(finding: Finding, scope: SweepScope): Omit<StoredFinding, 'status' | 'firstSeen' | 'resolvedAt' | 'resolution' | 'timesOpened'> {
  return { ...finding, subscriptionId: scope.subscriptionId, lastSeen: scope.observedAt, observedAt: scope.observedAt, sweepId: scope.sweepId };
}

/**
 * The next state of one finding, or undefined when nothing is to be written: the row is newer than
 * this sweep, or the sweep has no say over it (rule not evaluated, already resolved).
 */
export function nextFindingState(previous: StoredFinding | undefined, observed: Finding | undefined, scope: SweepScope): LifecycleChange | undefined {
  if (previous !== undefined && previous.observedAt > scope.observedAt) return undefined;
  if (observed !== undefined) {
    const base = fromObservation(observed, scope);
    if (previous === undefined) {
      return {
        kind: 'opened',
        previous,
        next: {
          ...base,
          status: 'open',
          firstSeen: scope.observedAt,
          resolvedAt: undefined,
          resolution: undefined,
          timesOpened: 1,
          history: withEvent(undefined, { kind: 'opened', at: scope.observedAt, sweepId: scope.sweepId }),
        },
      };
    }
    if (previous.status === 'resolved') {
      return {
        kind: 'reopened',
        previous,
        next: {
          ...base,
          status: 'open',
          firstSeen: previous.firstSeen,
          resolvedAt: undefined,
          resolution: undefined,
          timesOpened: previous.timesOpened + 1,
          history: withEvent(previous.history, { kind: 'reopened', at: scope.observedAt, sweepId: scope.sweepId }),
        },
      };
    }
    return { kind: 'updated', previous, next: { ...previous, ...base } };
  }
  if (previous === undefined || previous.status !== 'open') return undefined;
  const evaluated = scope.coverage.get(resourceKey(previous.resourceId));
  if (evaluated === undefined) {
    if (!scope.listingComplete) return undefined;
    return {
      kind: 'resolved',
      previous,
      next: {
        ...previous,
        status: 'resolved',
        resolvedAt: scope.observedAt,
        resolution: 'clusterGone',
        observedAt: scope.observedAt,
        sweepId: scope.sweepId,
        history: withEvent(previous.history, { kind: 'resolved', at: scope.observedAt, sweepId: scope.sweepId, resolution: 'clusterGone' }),
      },
    };
  }
  if (!evaluated.has(previous.ruleId)) return undefined;
  return {
    kind: 'resolved',
    previous,
    next: {
      ...previous,
      status: 'resolved',
      resolvedAt: scope.observedAt,
      resolution: 'notObserved',
      observedAt: scope.observedAt,
      sweepId: scope.sweepId,
      history: withEvent(previous.history, { kind: 'resolved', at: scope.observedAt, sweepId: scope.sweepId, resolution: 'notObserved' }),
    },
  };
}

/** Every change one sweep makes to one subscription's findings. */
export function planReconcile(existing: readonly StoredFinding[], observed: readonly Finding[], scope: SweepScope): LifecycleChange[] {
  const observedByFingerprint = new Map(observed.map((finding) => [finding.fingerprint, finding]));
  const changes: LifecycleChange[] = [];
  for (const stored of existing) {
    const change = nextFindingState(stored, observedByFingerprint.get(stored.fingerprint), scope);
    observedByFingerprint.delete(stored.fingerprint);
    if (change !== undefined) changes.push(change);
  }
  for (const finding of observedByFingerprint.values()) {
    const change = nextFindingState(undefined, finding, scope);
    if (change !== undefined) changes.push(change);
  }
  return changes;
}
