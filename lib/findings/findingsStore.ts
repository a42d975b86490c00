import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';

import { ensureTable } from '../azure/tables.js';
import { FleetGuardError, toFleetGuardError } from '../errors.js';
import type { Finding, Severity } from '../model/finding.js';
import { fromFindingEntity, sameBeyondSeen, toFindingEntity } from './findingEntity.js';
import { type ChangeKind, type FindingStatus, type LifecycleChange, planReconcile, type StoredFinding, type SweepScope } from './lifecycle.js';
import {
  type AfterWrite,
  buildMark,
  effectiveFinding,
  EMPTY_MARK,
  isMarkRow,
  MARK_ROW_KEY,
  markProperties,
  parseMark,
  type PartitionMark,
} from './partitionMark.js';

/** Azure Tables accepts at most 100 operations per transaction, all in one partition: 99 rows and the partition mark. */
const ROWS_PER_TRANSACTION = 99;
/** Attempts per partition when concurrent writers keep changing it; then the partition is left as the others wrote it. */
export const MAX_CONFLICT_ATTEMPTS = 5;

export interface ReconcileCounts {
  opened: number;
  reopened: number;
  updated: number;
  resolved: number;
  /** Times the partition was re-read and recomputed after an ETag conflict (another writer wrote it meanwhile). */
  conflicts: number;
}

export interface ReconcileResult extends ReconcileCounts {
  /** Every change of this sweep, for the alert pipeline: also the `updated` ones whose rows were not rewritten. */
  changes: LifecycleChange[];
  /** Finding rows written (the rest of the changes are carried by the partition mark). */
  rowsWritten: number;
  /** Entity group transactions submitted (each one request), the mark's own included. */
  transactions: number;
  /**
   * Set when other writers changed the partition under every attempt: what was written before
   * stays (whole transactions), the rest of this sweep's observations were not written and the
   * partition holds what the other writers wrote. The caller reports it.
   */
  gaveUp?: FleetGuardError;
}

interface PartitionRow {
  physical: StoredFinding;
  effective: StoredFinding;
  etag: string;
}

interface PartitionRead {
  rows: Map<string, PartitionRow>;
  mark: PartitionMark;
  /** Absent when the partition has no mark row yet. */
  markEtag: string | undefined;
  markText: string;
}

function isConflict(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return status === 409 || status === 412;
}

function count(changes: readonly LifecycleChange[]): Omit<ReconcileCounts, 'conflicts'> {
  const counts: Record<ChangeKind, number> = { opened: 0, reopened: 0, updated: 0, resolved: 0 };
  for (const change of changes) counts[change.kind] += 1;
  return counts;
}

/** One row to write: its state, and the ETag it was read with (undefined: created). */
interface RowWrite {
  finding: StoredFinding;
  etag: string | undefined;
}

/**
 * Findings in Azure Tables with their lifecycle. Only what changed is written: a finding seen again
 * exactly as stored is carried by the partition mark (partitionMark.ts) instead of rewritten, and
 * every read applies the mark. Every write is conditional: rows carry the ETag that was read and
 * each transaction carries the mark's, so two overlapping writers cannot overwrite each other's
 * work; the loser re-reads and recomputes.
 */
export class FindingsStore {
  constructor(private readonly table: TableClient) {}

  ensureTable(): Promise<void> {
    return ensureTable(this.table);
  }

  /** Applies one sweep's observations of one subscription (its coverage says what it may resolve). */
  async reconcileSubscription(observed: readonly Finding[], scope: SweepScope): Promise<ReconcileResult> {
    /** Changes written by transactions of earlier attempts that later failed: their kinds stand. */
    const earlier = new Map<string, LifecycleChange>();
    let conflicts = 0;
    let rowsWritten = 0;
    let transactions = 0;
    for (let attempt = 1; ; attempt += 1) {
      const partition = await this.readPartition(scope.subscriptionId);
      const changes = planReconcile(
        [...partition.rows.values()].map((row) => row.effective),
        observed,
        scope,
      ).map((change) => withEarlierKind(change, earlier.get(change.next.fingerprint)));
      const plan = planWrites(partition, changes);
      try {
        for (let start = 0; start < plan.writes.length || (start === 0 && plan.markChanged); start += ROWS_PER_TRANSACTION) {
          const chunk = plan.writes.slice(start, start + ROWS_PER_TRANSACTION);
          const last = start + ROWS_PER_TRANSACTION >= plan.writes.length;
          const actions: TransactionAction[] = chunk.map(({ finding, etag }) =>
            etag === undefined ? ['create', toFindingEntity(finding)] : ['update', toFindingEntity(finding), 'Replace', { etag }],
          );
          // Earlier chunks only bump the mark's ETag (the rows they write carry their own times); the last one writes its carries.
          const mark = { partitionKey: scope.subscriptionId.toLowerCase(), rowKey: MARK_ROW_KEY, ...(last ? plan.markProperties : {}) };
          actions.push(partition.markEtag === undefined ? ['create', mark] : ['update', mark, last ? 'Replace' : 'Merge', { etag: partition.markEtag }]);
          const response = await this.table.submitTransaction(actions);
          transactions += 1;
          rowsWritten += chunk.length;
          for (const { finding } of chunk) {
            const change = plan.changeOf.get(finding.fingerprint);
            if (change !== undefined) earlier.set(finding.fingerprint, change);
          }
          // Sub-responses come in request order and the mark is the last action (an update's carries no row key to look it up by).
          partition.markEtag = response.subResponses[actions.length - 1]?.etag;
          // Without it the next chunk could not be conditional: re-read and go on from what is stored.
          if (partition.markEtag === undefined && start + ROWS_PER_TRANSACTION < plan.writes.length)
            throw Object.assign(new Error('no ETag for the mark'), { statusCode: 412 });
        }
        return { ...count(changes), conflicts, changes, rowsWritten, transactions };
      } catch (error) {
        if (!isConflict(error)) throw toFleetGuardError(error, `writing findings of subscription ${scope.subscriptionId}`);
        conflicts += 1;
        if (attempt >= MAX_CONFLICT_ATTEMPTS) {
          const applied = [...earlier.values()];
          return {
            ...count(applied),
            conflicts,
            changes: applied,
            rowsWritten,
            transactions,
            gaveUp: new FleetGuardError(
              'serverError',
              `findings of subscription ${scope.subscriptionId} kept changing under ${MAX_CONFLICT_ATTEMPTS} attempts to write them (another writer each time): ${applied.length} changes written, the rest left as the other writers wrote it`,
            ),
          };
        }
      }
    }
  }

  /**
   * Findings, optionally only one status, one subscription, some severities or rule ids. Every value
   * goes into the OData filter through the `odata` tag, which quotes and escapes it.
   */
  async listFindings(
    filter: { status?: FindingStatus; subscriptionId?: string; severities?: readonly Severity[]; ruleIds?: readonly string[] } = {},
  ): Promise<StoredFinding[]> {
    const clauses: string[] = [];
    if (filter.subscriptionId !== undefined) clauses.push(odata`PartitionKey eq ${filter.subscriptionId.toLowerCase()}`);
    if (filter.status !== undefined) clauses.push(odata`status eq ${filter.status}`);
    if (filter.severities !== undefined && filter.severities.length > 0) {
      clauses.push(`(${filter.severities.map((severity) => odata`severity eq ${severity}`).join(' or ')})`);
    }
    if (filter.ruleIds !== undefined && filter.ruleIds.length > 0) clauses.push(`(${filter.ruleIds.map((ruleId) => odata`ruleId eq ${ruleId}`).join(' or ')})`);
    const result: StoredFinding[] = [];
    try {
      const entities = this.table.listEntities(clauses.length > 0 ? { queryOptions: { filter: clauses.join(' and ') } } : {});
      for await (const entity of entities) if (!isMarkRow(entity)) result.push(fromFindingEntity(entity, this.table.tableName));
    } catch (error) {
      throw toFleetGuardError(error, `reading table ${this.table.tableName}`);
    }
    return this.withMarks(result, filter.subscriptionId === undefined ? undefined : [filter.subscriptionId.toLowerCase()]);
  }

  /**
   * The findings whose fingerprint is `fingerprint` or starts with it (a prefix as `findings list`
   * shows it): a RowKey range, in every subscription's partition.
   */
  async findByFingerprint(fingerprint: string): Promise<StoredFinding[]> {
    const prefix = fingerprint.toLowerCase();
    // The next string after every string with this prefix: the last character incremented (hex only).
    const end = `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`;
    const result: StoredFinding[] = [];
    try {
      for await (const entity of this.table.listEntities({ queryOptions: { filter: odata`RowKey ge ${prefix} and RowKey lt ${end}` } })) {
        result.push(fromFindingEntity(entity, this.table.tableName));
      }
    } catch (error) {
      throw toFleetGuardError(error, `reading table ${this.table.tableName}`);
    }
    return this.withMarks(
      result,
      result.map((row) => row.subscriptionId),
    );
  }

  private async readPartition(subscriptionId: string): Promise<PartitionRead> {
    const physical = new Map<string, { finding: StoredFinding; etag: string }>();
    let markEntity: Record<string, unknown> | undefined;
    let markEtag: string | undefined;
    try {
      const entities = this.table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${subscriptionId.toLowerCase()}` } });
      for await (const entity of entities) {
        if (isMarkRow(entity)) {
          markEntity = entity;
          markEtag = entity.etag;
        } else physical.set(entity.rowKey ?? '', { finding: fromFindingEntity(entity, this.table.tableName), etag: entity.etag });
      }
    } catch (error) {
      throw toFleetGuardError(error, `reading findings of subscription ${subscriptionId}`);
    }
    const mark = markEntity === undefined ? EMPTY_MARK : parseMark(markEntity);
    const rows = new Map<string, PartitionRow>();
    for (const [fingerprint, row] of physical) rows.set(fingerprint, { physical: row.finding, effective: effectiveFinding(row.finding, mark), etag: row.etag });
    return { rows, mark, markEtag, markText: JSON.stringify(markProperties(mark)) };
  }

  /** The marks of some partitions (all when `partitions` is undefined): partition → mark and ETag. */
  private async readMarks(partitions?: readonly string[]): Promise<Map<string, { mark: PartitionMark; etag: string }>> {
    const marks = new Map<string, { mark: PartitionMark; etag: string }>();
    try {
      if (partitions === undefined) {
        for await (const entity of this.table.listEntities({ queryOptions: { filter: odata`RowKey eq ${MARK_ROW_KEY}` } })) {
          marks.set(entity.partitionKey ?? '', { mark: parseMark(entity), etag: entity.etag });
        }
        return marks;
      }
      for (const partition of new Set(partitions)) {
        try {
          const entity = await this.table.getEntity(partition, MARK_ROW_KEY);
          marks.set(partition, { mark: parseMark(entity), etag: entity.etag });
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode !== 404) throw error;
        }
      }
    } catch (error) {
      throw toFleetGuardError(error, `reading table ${this.table.tableName}`);
    }
    return marks;
  }

  /** Rows as readers see them: each with its partition's mark applied. */
  private async withMarks(rows: StoredFinding[], partitions?: readonly string[]): Promise<StoredFinding[]> {
    if (rows.length === 0) return rows;
    const marks = await this.readMarks(partitions);
    return rows.map((row) => effectiveFinding(row, marks.get(row.subscriptionId)?.mark ?? EMPTY_MARK));
  }
}

/** A change recomputed after a conflict keeps the kind an earlier attempt already wrote (opened stays opened). */
function withEarlierKind(change: LifecycleChange, earlier: LifecycleChange | undefined): LifecycleChange {
  if (earlier === undefined || earlier.kind === 'updated' || change.kind !== 'updated') return change;
  return { ...change, kind: earlier.kind, previous: earlier.previous };
}

/**
 * Which rows one writer writes: every change but an `updated` one that leaves the row as it was
 * (besides when it was seen), which the mark carries; and rows the mark cannot carry.
 */
function planWrites(
  partition: PartitionRead,
  changes: readonly LifecycleChange[],
): { writes: RowWrite[]; changeOf: Map<string, LifecycleChange>; markProperties: Record<string, string>; markChanged: boolean } {
  const after = new Map<string, AfterWrite>();
  for (const [fingerprint, row] of partition.rows) after.set(fingerprint, { physical: row.physical, effective: row.effective });
  const writes = new Map<string, RowWrite>();
  const changeOf = new Map<string, LifecycleChange>();
  for (const change of changes) {
    const fingerprint = change.next.fingerprint;
    const row = partition.rows.get(fingerprint);
    if (change.kind === 'updated' && row !== undefined && sameBeyondSeen(row.effective, change.next)) {
      after.set(fingerprint, { physical: row.physical, effective: change.next });
      continue;
    }
    after.set(fingerprint, { written: change.next });
    writes.set(fingerprint, { finding: change.next, etag: row?.etag });
    changeOf.set(fingerprint, change);
  }
  const { mark, mustWrite } = buildMark(after);
  for (const fingerprint of mustWrite) {
    const row = after.get(fingerprint);
    const stored = partition.rows.get(fingerprint);
    if (row !== undefined && 'effective' in row) writes.set(fingerprint, { finding: row.effective, etag: stored?.etag });
  }
  const properties = markProperties(mark);
  return { writes: [...writes.values()], changeOf, markProperties: properties, markChanged: JSON.stringify(properties) !== partition.markText };
}
