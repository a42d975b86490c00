import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';

import { ensureTable } from '../azure/tables.js';
import { FleetGuardError, toFleetGuardError } from '../errors.js';
import type { Finding, Severity } from '../model/finding.js';
import { fromFindingEntity, toFindingEntity } from './findingEntity.js';
import {
  type ChangeKind,
  type FindingStatus,
  type LifecycleChange,
  nextFindingState,
  planReconcile,
  type StoredFinding,
  type SweepScope,
} from './lifecycle.js';

/** Azure Tables accepts at most 100 operations per transaction, all in one partition. */
const TRANSACTION_LIMIT = 100;
/** Attempts per finding when concurrent sweeps keep changing the same row. */
const MAX_CONFLICT_ATTEMPTS = 5;

export interface ReconcileCounts {
  opened: number;
  reopened: number;
  updated: number;
  resolved: number;
  /** Rows rewritten one by one after an ETag conflict (another sweep wrote them meanwhile). */
  conflicts: number;
}

export interface ReconcileResult extends ReconcileCounts {
  /** The changes written, for the alert pipeline. */
  changes: LifecycleChange[];
}

interface VersionedFinding {
  finding: StoredFinding;
  etag: string;
}

function isConflict(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return status === 409 || status === 412;
}

function emptyCounts(): ReconcileCounts {
  return { opened: 0, reopened: 0, updated: 0, resolved: 0, conflicts: 0 };
}

function count(counts: ReconcileCounts, kind: ChangeKind): void {
  counts[kind] += 1;
}

/**
 * Findings in Azure Tables with their lifecycle. Every write is conditional: creates fail if the row
 * appeared meanwhile, updates carry the ETag that was read, so two overlapping sweeps cannot
 * overwrite each other's work; the loser re-reads and recomputes.
 */
export class FindingsStore {
  constructor(private readonly table: TableClient) {}

  ensureTable(): Promise<void> {
    return ensureTable(this.table);
  }

  /** Applies one sweep's observations of one fully listed subscription. */
  async reconcileSubscription(observed: readonly Finding[], scope: SweepScope): Promise<ReconcileResult> {
    const counts = emptyCounts();
    const applied: LifecycleChange[] = [];
    const existing = await this.readPartition(scope.subscriptionId);
    const changes = planReconcile(
      [...existing.values()].map((entry) => entry.finding),
      observed,
      scope,
    );
    const observedByFingerprint = new Map(observed.map((finding) => [finding.fingerprint, finding]));
    for (let start = 0; start < changes.length; start += TRANSACTION_LIMIT) {
      const chunk = changes.slice(start, start + TRANSACTION_LIMIT);
      try {
        await this.table.submitTransaction(chunk.map((change) => toAction(change, existing.get(change.next.fingerprint)?.etag)));
        for (const change of chunk) count(counts, change.kind);
        applied.push(...chunk);
      } catch (error) {
        if (!isConflict(error)) throw toFleetGuardError(error, `writing findings of subscription ${scope.subscriptionId}`);
        for (const change of chunk) {
          counts.conflicts += 1;
          const written = await this.applyOne(change.next.fingerprint, observedByFingerprint.get(change.next.fingerprint), scope);
          if (written !== undefined) {
            count(counts, written.kind);
            applied.push(written);
          }
        }
      }
    }
    return { ...counts, changes: applied };
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
      for await (const entity of entities) result.push(fromFindingEntity(entity, this.table.tableName));
    } catch (error) {
      throw toFleetGuardError(error, `reading table ${this.table.tableName}`);
    }
    return result;
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
    return result;
  }

  private async readPartition(subscriptionId: string): Promise<Map<string, VersionedFinding>> {
    const rows = new Map<string, VersionedFinding>();
    try {
      const entities = this.table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${subscriptionId.toLowerCase()}` } });
      for await (const entity of entities) {
        rows.set(entity.rowKey ?? '', { finding: fromFindingEntity(entity, this.table.tableName), etag: entity.etag });
      }
    } catch (error) {
      throw toFleetGuardError(error, `reading findings of subscription ${subscriptionId}`);
    }
    return rows;
  }

  private async readOne(subscriptionId: string, fingerprint: string): Promise<VersionedFinding | undefined> {
    try {
      const entity = await this.table.getEntity(subscriptionId.toLowerCase(), fingerprint);
      return { finding: fromFindingEntity(entity, this.table.tableName), etag: entity.etag };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw toFleetGuardError(error, `reading finding ${fingerprint}`);
    }
  }

  /** Re-reads one row and writes its next state, retrying while other writers win the race. */
  private async applyOne(fingerprint: string, observed: Finding | undefined, scope: SweepScope): Promise<LifecycleChange | undefined> {
    for (let attempt = 1; attempt <= MAX_CONFLICT_ATTEMPTS; attempt += 1) {
      const current = await this.readOne(scope.subscriptionId, fingerprint);
      const change = nextFindingState(current?.finding, observed, scope);
      if (change === undefined) return undefined;
      try {
        const entity = toFindingEntity(change.next);
        if (current === undefined) await this.table.createEntity(entity);
        else await this.table.updateEntity(entity, 'Replace', { etag: current.etag });
        return change;
      } catch (error) {
        if (!isConflict(error)) throw toFleetGuardError(error, `writing finding ${fingerprint}`);
      }
    }
    throw new FleetGuardError('serverError', `finding ${fingerprint} kept changing under ${MAX_CONFLICT_ATTEMPTS} attempts to write it; left as it was`);
  }
}

function toAction(change: LifecycleChange, etag: string | undefined): TransactionAction {
  const entity = toFindingEntity(change.next);
  return change.previous === undefined || etag === undefined ? ['create', entity] : ['update', entity, 'Replace', { etag }];
}
