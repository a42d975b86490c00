/**
 * Rollout history in Azure Tables: one row per rollout (partition `rollout`) and one row per
 * action taken on it, with the principal who took it (partition `actions-{rolloutId}`).
 */
import { createHash, randomUUID } from 'node:crypto';

import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';

import type { Actor } from '../auth/principal.js';
import { type EntityOf, jsonText, numberOr, optionalText, parseEntity, textOrEmpty } from '../azure/tableEntity.js';
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
  /** Set on a retry (POST /rollouts/{id}/retry): the rollout whose failed and skipped clusters it re-runs. */
  retryOf?: string;
}

/** A cluster of a rollout that a retry re-runs: claimed once, so no two retries run it (retryRollout.ts). */
export interface RetryClaim {
  resourceId: string;
  retryId: string;
  by: string;
  at: string;
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
  action: 'start' | 'approve' | 'resume' | 'abort' | 'retry' | 'rollback-request' | 'rollback-approve';
  at: string;
}

/** A row key per cluster: ARM ids hold `/`, which row keys may not. */
function clusterRowKey(resourceId: string): string {
  return createHash('sha256').update(resourceId.toLowerCase()).digest('hex');
}

/** A text property only when it has a value (the record's optional fields are absent, not empty). */
function optional<Key extends string>(key: Key, value: string | undefined): Partial<Record<Key, string>> {
  return value === undefined || value === '' ? {} : ({ [key]: value } as Partial<Record<Key, string>>);
}

/**
 * The rollout's row (partition `rollout`). Lenient on purpose: a status can land before the start
 * record (or without one, if recording the start failed), so missing fields read as empty or zero.
 */
const rolloutEntity = z
  .object({
    rowKey: z.string().optional().catch(undefined),
    rolloutId: z.string().optional().catch(undefined),
    target: textOrEmpty,
    upgradeType: textOrEmpty,
    requestedBy: textOrEmpty,
    requestedByObjectId: optionalText,
    requestedByAppId: optionalText,
    /** Tables hold scalars only: the list of waves is stored as JSON text. */
    distinctApproverWaves: jsonText(
      (value) => (Array.isArray(value) && value.every((entry) => typeof entry === 'string') ? value : undefined),
      () => undefined,
    ),
    createdAt: z.string().optional().catch(undefined),
    updatedAt: z.string().optional().catch(undefined),
    waves: numberOr(0),
    clusters: numberOr(0),
    status: optionalText,
    retryOf: optionalText,
  })
  .transform((row): RolloutRecord => ({
    rolloutId: row.rolloutId ?? row.rowKey ?? '',
    target: row.target,
    upgradeType: row.upgradeType,
    requestedBy: row.requestedBy,
    ...optional('requestedByObjectId', row.requestedByObjectId),
    ...optional('requestedByAppId', row.requestedByAppId),
    ...(row.distinctApproverWaves === undefined ? {} : { distinctApproverWaves: row.distinctApproverWaves }),
    createdAt: row.createdAt ?? row.updatedAt ?? '',
    waves: row.waves,
    clusters: row.clusters,
    ...optional('status', row.status),
    ...optional('retryOf', row.retryOf),
  }));

function toRolloutEntity(record: RolloutRecord): EntityOf<typeof rolloutEntity> {
  const { distinctApproverWaves, ...rest } = record;
  return {
    partitionKey: 'rollout',
    rowKey: record.rolloutId,
    ...rest,
    ...(distinctApproverWaves === undefined ? {} : { distinctApproverWaves: JSON.stringify(distinctApproverWaves) }),
  };
}

/** One cluster's latest status (partition `clusters-{rolloutId}`); the reason and versions may be empty. */
const clusterStatusEntity = z.object({
  resourceId: z.string(),
  wave: z.string(),
  status: z.string(),
  fromVersion: textOrEmpty,
  toVersion: textOrEmpty,
  reason: textOrEmpty,
}) satisfies z.ZodType<ClusterStatusRecord>;

/** One action (partition `actions-{rolloutId}`). Only this store writes them; an action it does not know (a newer version's) reads as written. */
const actionEntity = z
  .object({ action: z.string(), by: textOrEmpty, byObjectId: optionalText, byAppId: optionalText, at: z.string() })
  .transform((row): RolloutAction => ({
    action: row.action as RolloutAction['action'],
    by: row.by,
    ...optional('byObjectId', row.byObjectId),
    ...optional('byAppId', row.byAppId),
    at: row.at,
  }));

/** One cluster taken by a retry (partition `retries-{rolloutId}`). */
const retryClaimEntity = z
  .object({ resourceId: z.string(), retryId: z.string(), by: textOrEmpty, at: z.string() })
  .transform((row): RetryClaim => ({ resourceId: row.resourceId, retryId: row.retryId, by: row.by, at: row.at }));

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
      const entity = toRolloutEntity(record);
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
      const entity: EntityOf<typeof actionEntity> & { rolloutId: string } = {
        partitionKey: `actions-${rolloutId}`,
        rowKey: `${action.at}-${randomUUID()}`,
        rolloutId,
        ...action,
      };
      await this.table.createEntity(entity);
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
        const actions: TransactionAction[] = clusters.slice(start, start + 100).map((cluster) => {
          const entity: EntityOf<typeof clusterStatusEntity> & { updatedAt: string } = {
            partitionKey,
            rowKey: clusterRowKey(cluster.resourceId),
            ...cluster,
            updatedAt: at,
          };
          return ['upsert', entity, 'Replace'];
        });
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
      for await (const row of this.table.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey eq ${`clusters-${rolloutId}`}` },
      })) {
        records.push(parseEntity(clusterStatusEntity, this.table.tableName, row));
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
      return row['target'] === undefined ? undefined : parseEntity(rolloutEntity, this.table.tableName, row);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw toFleetGuardError(error, `reading rollout ${rolloutId}`);
    }
  }

  async list(): Promise<RolloutRecord[]> {
    const records: RolloutRecord[] = [];
    try {
      for await (const row of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${'rollout'}` } }))
        records.push(parseEntity(rolloutEntity, this.table.tableName, row));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw toFleetGuardError(error, 'listing rollouts');
    }
    return records.sort((left, right) => right.createdAt.localeCompare(left.createdAt));
  }

  /**
   * Claims clusters of `rolloutId` for the retry `retryId` (partition `retries-{rolloutId}`, one row per
   * cluster, created never replaced): a cluster already claimed by another retry makes the whole claim
   * fail, so two retries sent at once never re-run the same cluster. Up to 100 clusters are claimed
   * atomically (one entity group transaction); beyond that, batch by batch, and a conflict releases the
   * batches already claimed. Returns the clusters another retry holds, or [] when all are claimed.
   */
  async claimRetry(rolloutId: string, retryId: string, resourceIds: readonly string[], by: string, at: string): Promise<RetryClaim[]> {
    const partitionKey = `retries-${rolloutId}`;
    const claimed: string[] = [];
    try {
      for (let start = 0; start < resourceIds.length; start += 100) {
        const batch = resourceIds.slice(start, start + 100);
        const actions: TransactionAction[] = batch.map((resourceId) => {
          const claim: EntityOf<typeof retryClaimEntity> = { partitionKey, rowKey: clusterRowKey(resourceId), resourceId, retryId, by, at };
          return ['create', claim];
        });
        try {
          await this.table.submitTransaction(actions);
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode !== 409) throw error;
          await this.releaseRetry(rolloutId, claimed);
          const held = await this.retryClaims(rolloutId);
          const wanted = new Set(resourceIds.map((id) => id.toLowerCase()));
          return held.filter((claim) => claim.retryId !== retryId && wanted.has(claim.resourceId.toLowerCase()));
        }
        claimed.push(...batch);
      }
    } catch (error) {
      throw toFleetGuardError(error, `claiming clusters of rollout ${rolloutId} for a retry`);
    }
    return [];
  }

  /** Gives back clusters claimed by {@link claimRetry} (the retry could not be started). */
  async releaseRetry(rolloutId: string, resourceIds: readonly string[]): Promise<void> {
    const partitionKey = `retries-${rolloutId}`;
    const gone = (error: unknown) => (error as { statusCode?: number }).statusCode === 404;
    try {
      for (let start = 0; start < resourceIds.length; start += 100) {
        const batch = resourceIds.slice(start, start + 100);
        try {
          await this.table.submitTransaction(batch.map((resourceId) => ['delete', { partitionKey, rowKey: clusterRowKey(resourceId) }]));
        } catch (error) {
          if (!gone(error)) throw error;
          // A claim already gone fails the whole batch: the rest one by one.
          for (const resourceId of batch) {
            try {
              await this.table.deleteEntity(partitionKey, clusterRowKey(resourceId));
            } catch (inner) {
              if (!gone(inner)) throw inner;
            }
          }
        }
      }
    } catch (error) {
      throw toFleetGuardError(error, `releasing the retry claims of rollout ${rolloutId}`);
    }
  }

  /** The clusters of a rollout that retries re-ran (or re-run), with the retry and who asked for it. */
  async retryClaims(rolloutId: string): Promise<RetryClaim[]> {
    const claims: RetryClaim[] = [];
    try {
      for await (const row of this.table.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey eq ${`retries-${rolloutId}`}` },
      })) {
        claims.push(parseEntity(retryClaimEntity, this.table.tableName, row));
      }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw toFleetGuardError(error, `reading the retries of rollout ${rolloutId}`);
    }
    return claims;
  }

  async actions(rolloutId: string): Promise<RolloutAction[]> {
    const actions: RolloutAction[] = [];
    try {
      for await (const row of this.table.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey eq ${`actions-${rolloutId}`}` },
      })) {
        actions.push(parseEntity(actionEntity, this.table.tableName, row));
      }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw toFleetGuardError(error, `listing actions of rollout ${rolloutId}`);
    }
    return actions;
  }
}
