/**
 * Rollout history in Azure Tables: one row per rollout (partition `rollout`) and one row per
 * action taken on it, with the principal who took it (partition `actions-{rolloutId}`).
 */
import { createHash, randomUUID } from 'node:crypto';

import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';

import type { Actor } from '../auth/principal.js';
import { ensureTable } from '../azure/tables.js';
import { toFleetGuardError } from '../errors.js';
import { RollbackStore } from './rollbackStore.js';

export interface RolloutRecord {
  rolloutId: string;
  target: string;
  upgradeType: string;
  requestedBy: string;
  /** Entra object id (`oid`) of who started it: separation of duties compares this, never the name. */
  requestedByObjectId?: string;
  /** Client app id (`azp`/`appid`) of the token that started it. */
  requestedByAppId?: string;
  /** Waves whose approval needs a principal other than the requester (requireDistinctApprover). */
  distinctApproverWaves?: string[];
  createdAt: string;
  waves: number;
  clusters: number;
  /** The rollout's last recorded status (absent until the orchestration records one). */
  status?: string;
}

export interface ClusterStatusRecord {
  resourceId: string;
  wave: string;
  status: string;
  fromVersion: string;
  toVersion: string;
  reason: string;
}

/** One action on a rollout with who took it: display name, object id (`byObjectId`) and client app id (`byAppId`). */
export interface RolloutAction extends Actor {
  action: 'start' | 'approve' | 'resume' | 'abort' | 'rollback-request' | 'rollback-approve';
  at: string;
}

/** Tables hold scalars only: the list of waves is stored as JSON text. */
function toEntity(record: RolloutRecord): Record<string, unknown> {
  const { distinctApproverWaves, ...rest } = record;
  return { ...rest, ...(distinctApproverWaves === undefined ? {} : { distinctApproverWaves: JSON.stringify(distinctApproverWaves) }) };
}

function wavesOf(value: unknown): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return Array.isArray(parsed) && parsed.every((entry) => typeof entry === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function optional<Key extends string>(key: Key, value: unknown): Partial<Record<Key, string>> {
  return typeof value === 'string' && value !== '' ? ({ [key]: value } as Partial<Record<Key, string>>) : {};
}

export class RolloutStore {
  constructor(private readonly table: TableClient) {}

  ensureTable(): Promise<void> {
    return ensureTable(this.table);
  }

  /** Node-pool rollback requests of rollouts, kept in the same table. */
  rollbacks(): RollbackStore {
    return new RollbackStore(this.table);
  }

  /** `replace` is for rehearsals, which reuse their id; a real rollout id must be new. */
  async recordStart(record: RolloutRecord, mode: 'new' | 'replace' = 'new'): Promise<void> {
    try {
      const entity = { partitionKey: 'rollout', rowKey: record.rolloutId, ...toEntity(record) };
      if (mode === 'new') await this.table.createEntity(entity);
      else await this.table.upsertEntity(entity, 'Replace');
    } catch (error) {
      throw toFleetGuardError(error, `recording rollout ${record.rolloutId}`);
    }
    await this.recordAction(record.rolloutId, {
      action: 'start',
      by: record.requestedBy,
      ...optional('byObjectId', record.requestedByObjectId),
      ...optional('byAppId', record.requestedByAppId),
      at: record.createdAt,
    });
  }

  async recordAction(rolloutId: string, action: RolloutAction): Promise<void> {
    try {
      await this.table.createEntity({ partitionKey: `actions-${rolloutId}`, rowKey: `${action.at}-${randomUUID()}`, rolloutId, ...action });
    } catch (error) {
      throw toFleetGuardError(error, `recording ${action.action} of rollout ${rolloutId}`);
    }
  }

  /**
   * The latest status of every cluster of a rollout (partition `clusters-{rolloutId}`), written as
   * waves finish: the history people read, while the orchestration's custom status keeps counts.
   */
  async recordClusterStatuses(rolloutId: string, rolloutStatus: string, clusters: readonly ClusterStatusRecord[], at: string): Promise<void> {
    const partitionKey = `clusters-${rolloutId}`;
    try {
      for (let start = 0; start < clusters.length; start += 100) {
        const actions: TransactionAction[] = clusters.slice(start, start + 100).map((cluster) => ['upsert', { partitionKey, rowKey: createHash('sha256').update(cluster.resourceId.toLowerCase()).digest('hex'), ...cluster, updatedAt: at }, 'Replace']);
        await this.table.submitTransaction(actions);
      }
      await this.table.upsertEntity({ partitionKey: 'rollout', rowKey: rolloutId, status: rolloutStatus, updatedAt: at }, 'Merge');
    } catch (error) {
      throw toFleetGuardError(error, `recording the status of rollout ${rolloutId}`);
    }
  }

  /**
   * The abort marker: written on the rollout's row before any orchestration is told, so that every
   * step that could start work (a wave, a batch of clusters, an upgrade write) reads it first.
   */
  async requestAbort(rolloutId: string, by: string, at: string): Promise<void> {
    try {
      await this.table.upsertEntity({ partitionKey: 'rollout', rowKey: rolloutId, abortRequestedBy: by, abortRequestedAt: at }, 'Merge');
    } catch (error) {
      throw toFleetGuardError(error, `recording the abort of rollout ${rolloutId}`);
    }
  }

  /** Who asked to abort the rollout and when, or undefined when nobody did. */
  async abortRequest(rolloutId: string): Promise<{ by: string; at: string } | undefined> {
    try {
      const row = await this.table.getEntity<{ abortRequestedBy?: string; abortRequestedAt?: string }>('rollout', rolloutId);
      return row.abortRequestedAt === undefined ? undefined : { by: row.abortRequestedBy ?? '', at: row.abortRequestedAt };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw toFleetGuardError(error, `reading the abort marker of rollout ${rolloutId}`);
    }
  }

  async clusterStatuses(rolloutId: string): Promise<ClusterStatusRecord[]> {
    const records: ClusterStatusRecord[] = [];
    try {
      for await (const row of this.table.listEntities<ClusterStatusRecord>({ queryOptions: { filter: odata`PartitionKey eq ${`clusters-${rolloutId}`}` } })) {
        records.push({ resourceId: row.resourceId, wave: row.wave, status: row.status, fromVersion: row.fromVersion, toVersion: row.toVersion, reason: row.reason });
      }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw toFleetGuardError(error, `reading the status of rollout ${rolloutId}`);
    }
    return records.sort((left, right) => left.wave.localeCompare(right.wave) || left.resourceId.localeCompare(right.resourceId));
  }

  /** One rollout's record; undefined when none was written (or only its status was). */
  async get(rolloutId: string): Promise<RolloutRecord | undefined> {
    try {
      const row = await this.table.getEntity<Record<string, unknown>>('rollout', rolloutId);
      return row['target'] === undefined ? undefined : recordOf(row);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw toFleetGuardError(error, `reading rollout ${rolloutId}`);
    }
  }

  async list(): Promise<RolloutRecord[]> {
    const records: RolloutRecord[] = [];
    try {
      for await (const row of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${'rollout'}` } })) records.push(recordOf(row));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw toFleetGuardError(error, 'listing rollouts');
    }
    return records.sort((left, right) => right.createdAt.localeCompare(left.createdAt));
  }

  async actions(rolloutId: string): Promise<RolloutAction[]> {
    const actions: RolloutAction[] = [];
    try {
      for await (const row of this.table.listEntities<RolloutAction>({ queryOptions: { filter: odata`PartitionKey eq ${`actions-${rolloutId}`}` } })) {
        actions.push({ action: row.action, by: row.by, ...optional('byObjectId', row.byObjectId), ...optional('byAppId', row.byAppId), at: row.at });
      }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw toFleetGuardError(error, `listing actions of rollout ${rolloutId}`);
    }
    return actions;
  }
}

/** A status can land before the start record (or without one, if recording the start failed). */
function recordOf(row: Record<string, unknown>): RolloutRecord {
  const text = (key: string): string | undefined => (typeof row[key] === 'string' ? row[key] : undefined);
  const count = (key: string): number => (typeof row[key] === 'number' ? row[key] : 0);
  const distinctApproverWaves = wavesOf(row['distinctApproverWaves']);
  return {
    rolloutId: text('rolloutId') ?? text('rowKey') ?? '',
    target: text('target') ?? '',
    upgradeType: text('upgradeType') ?? '',
    requestedBy: text('requestedBy') ?? '',
    ...optional('requestedByObjectId', row['requestedByObjectId']),
    ...optional('requestedByAppId', row['requestedByAppId']),
    ...(distinctApproverWaves === undefined ? {} : { distinctApproverWaves }),
    createdAt: text('createdAt') ?? text('updatedAt') ?? '',
    waves: count('waves'),
    clusters: count('clusters'),
    ...optional('status', row['status']),
  };
}
