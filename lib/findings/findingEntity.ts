/**
 * StoredFinding ↔ Azure Tables entity. PartitionKey is the subscription (a sweep reconciles one
 * subscription at a time, in one partition query and batched transactions); RowKey is the fingerprint.
 */
import { z } from 'zod';

import { type EntityOf, jsonText, numberOr, optionalText, parseEntity, textMapJson } from '../azure/tableEntity.js';
import { type FindingComponent, SEVERITIES } from '../model/finding.js';
import type { FindingEvent, StoredFinding } from './lifecycle.js';

/** JSON array of the finding's state changes; a row without it (older rows) or unreadable has none. */
const historyJson = jsonText(
  (value): FindingEvent[] | undefined =>
    Array.isArray(value)
      ? value.flatMap((item: unknown) => {
          const entry = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
          const { kind, at, sweepId, resolution } = entry;
          if ((kind !== 'opened' && kind !== 'reopened' && kind !== 'resolved') || typeof at !== 'string' || typeof sweepId !== 'string') return [];
          return [{ kind, at, sweepId, ...(resolution === 'notObserved' || resolution === 'clusterGone' ? { resolution } : {}) }];
        })
      : undefined,
  () => undefined,
);

/** JSON array of the in-cluster objects a finding names; a row without it (or unreadable) has none. */
const componentsJson = jsonText(
  (value): FindingComponent[] | undefined =>
    Array.isArray(value)
      ? value.flatMap((item: unknown) => {
          const entry = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
          const { type, namespace, name } = entry;
          return typeof type === 'string' && typeof name === 'string' ? [{ type, namespace: typeof namespace === 'string' ? namespace : undefined, name }] : [];
        })
      : undefined,
  () => undefined,
);

/** A finding row as read back; a row that is not a finding of ours fails the read, naming row and field. */
const findingEntity = z
  .object({
    partitionKey: z.string(),
    rowKey: z.string(),
    ruleId: z.string(),
    resourceId: z.string(),
    clusterName: z.string(),
    severity: z.enum(SEVERITIES),
    title: z.string(),
    detail: z.string(),
    practice: z.string(),
    docUrl: z.string(),
    subject: optionalText,
    /** JSON object of the cluster's tags. */
    clusterTags: textMapJson,
    components: componentsJson,
    history: historyJson,
    status: z.enum(['open', 'resolved']),
    firstSeen: z.string(),
    lastSeen: z.string(),
    resolvedAt: optionalText,
    resolution: z.enum(['notObserved', 'clusterGone']).optional().catch(undefined),
    timesOpened: numberOr(1),
    observedAt: z.string(),
    sweepId: z.string(),
  })
  .transform(({ partitionKey, rowKey, subject, resolvedAt, resolution, components, history, ...row }): StoredFinding => ({
    ...row,
    ...(components === undefined ? {} : { components }),
    ...(history === undefined ? {} : { history }),
    fingerprint: rowKey,
    subscriptionId: partitionKey,
    subject,
    resolvedAt,
    resolution,
  }));

export type FindingEntity = EntityOf<typeof findingEntity>;

export function toFindingEntity(finding: StoredFinding): FindingEntity {
  return {
    partitionKey: finding.subscriptionId.toLowerCase(),
    rowKey: finding.fingerprint,
    ruleId: finding.ruleId,
    resourceId: finding.resourceId,
    clusterName: finding.clusterName,
    severity: finding.severity,
    title: finding.title,
    detail: finding.detail,
    practice: finding.practice,
    docUrl: finding.docUrl,
    ...(finding.subject === undefined ? {} : { subject: finding.subject }),
    clusterTags: JSON.stringify(finding.clusterTags),
    ...(finding.components === undefined ? {} : { components: JSON.stringify(finding.components) }),
    ...(finding.history === undefined ? {} : { history: JSON.stringify(finding.history) }),
    status: finding.status,
    firstSeen: finding.firstSeen,
    lastSeen: finding.lastSeen,
    ...(finding.resolvedAt === undefined ? {} : { resolvedAt: finding.resolvedAt }),
    ...(finding.resolution === undefined ? {} : { resolution: finding.resolution }),
    timesOpened: finding.timesOpened,
    observedAt: finding.observedAt,
    sweepId: finding.sweepId,
  };
}

/** Reads a row back; a row that is not a finding of ours is an error naming the table, row and field. */
export function fromFindingEntity(entity: Record<string, unknown>, table = 'findings'): StoredFinding {
  return parseEntity(findingEntity, table, entity);
}

/** The properties a sweep's observation refreshes on every sighting: derived from the partition mark when nothing else changed (partitionMark.ts). */
const SEEN_PROPERTIES = new Set(['lastSeen', 'observedAt', 'sweepId']);

/**
 * True when two states of a finding differ only in when they were seen: nothing a reader shows
 * besides `lastSeen` (status, severity, title, detail, tags, components, history...) changed, so the
 * row need not be rewritten. Compared as the stored entities, so a property added to the row later
 * counts as a change without touching this function.
 */
export function sameBeyondSeen(left: StoredFinding, right: StoredFinding): boolean {
  const a = toFindingEntity(left) as Record<string, unknown>;
  const b = toFindingEntity(right) as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if (!SEEN_PROPERTIES.has(key) && a[key] !== b[key]) return false;
  return true;
}
