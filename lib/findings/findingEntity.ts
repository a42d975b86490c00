/**
 * StoredFinding ↔ Azure Tables entity. PartitionKey is the subscription (a sweep reconciles one
 * subscription at a time, in one partition query and batched transactions); RowKey is the fingerprint.
 */
import { FleetGuardError } from '../errors.js';
import { SEVERITIES, type Severity } from '../model/finding.js';
import type { StoredFinding } from './lifecycle.js';

export type FindingEntity = {
  partitionKey: string;
  rowKey: string;
  ruleId: string;
  resourceId: string;
  clusterName: string;
  severity: string;
  title: string;
  detail: string;
  practice: string;
  docUrl: string;
  subject?: string;
  /** JSON object of the cluster's tags. */
  clusterTags: string;
  status: string;
  firstSeen: string;
  lastSeen: string;
  resolvedAt?: string;
  resolution?: string;
  timesOpened: number;
  observedAt: string;
  sweepId: string;
};

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

function requiredText(entity: Record<string, unknown>, field: string): string {
  const value = entity[field];
  if (typeof value !== 'string') {
    throw new FleetGuardError('badInput', `findings table row ${String(entity['rowKey'])}: field ${field} is missing or not text`);
  }
  return value;
}

function optionalText(entity: Record<string, unknown>, field: string): string | undefined {
  const value = entity[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function parseTags(value: unknown): Record<string, string> {
  if (typeof value !== 'string') return {};
  try {
    const parsed = JSON.parse(value) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {};
  }
}

/** Reads a row back; a row that is not a finding of ours is an error naming the row and field. */
export function fromFindingEntity(entity: Record<string, unknown>): StoredFinding {
  const severity = requiredText(entity, 'severity');
  const status = requiredText(entity, 'status');
  if (!(SEVERITIES as readonly string[]).includes(severity)) {
    throw new FleetGuardError('badInput', `findings table row ${String(entity['rowKey'])}: field severity has unknown value ${severity}`);
  }
  if (status !== 'open' && status !== 'resolved') {
    throw new FleetGuardError('badInput', `findings table row ${String(entity['rowKey'])}: field status has unknown value ${status}`);
  }
  const resolution = optionalText(entity, 'resolution');
  const timesOpened = entity['timesOpened'];
  return {
    fingerprint: requiredText(entity, 'rowKey'),
    subscriptionId: requiredText(entity, 'partitionKey'),
    ruleId: requiredText(entity, 'ruleId'),
    resourceId: requiredText(entity, 'resourceId'),
    clusterName: requiredText(entity, 'clusterName'),
    severity: severity as Severity,
    title: requiredText(entity, 'title'),
    detail: requiredText(entity, 'detail'),
    practice: requiredText(entity, 'practice'),
    docUrl: requiredText(entity, 'docUrl'),
    subject: optionalText(entity, 'subject'),
    clusterTags: parseTags(entity['clusterTags']),
    status: status,
    firstSeen: requiredText(entity, 'firstSeen'),
    lastSeen: requiredText(entity, 'lastSeen'),
    resolvedAt: optionalText(entity, 'resolvedAt'),
    resolution: resolution === 'notObserved' || resolution === 'clusterGone' ? (resolution) : undefined,
    timesOpened: typeof timesOpened === 'number' ? timesOpened : 1,
    observedAt: requiredText(entity, 'observedAt'),
    sweepId: requiredText(entity, 'sweepId'),
  };
}
