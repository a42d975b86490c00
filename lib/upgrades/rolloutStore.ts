/**
 * Rollout history in Azure Tables: one row per rollout (partition `rollout`) and one row per
 * action taken on it, with the principal who took it (partition `actions-{rolloutId}`).
 */
import { randomUUID } from 'node:crypto';

import { odata, type TableClient } from '@azure/data-tables';

import { ensureTable } from '../azure/tables.js';
import { toFleetGuardError } from '../errors.js';

export interface RolloutRecord {
  rolloutId: string;
  target: string;
  upgradeType: string;
  requestedBy: string;
  createdAt: string;
  waves: number;
  clusters: number;
}

export interface RolloutAction {
  action: 'start' | 'approve' | 'resume' | 'abort';
  by: string;
  at: string;
}

export class RolloutStore {
  constructor(private readonly table: TableClient) {}

  ensureTable(): Promise<void> {
    return ensureTable(this.table);
  }

  async recordStart(record: RolloutRecord): Promise<void> {
    try {
      await this.table.createEntity({ partitionKey: 'rollout', rowKey: record.rolloutId, ...record });
    } catch (error) {
      throw toFleetGuardError(error, `recording rollout ${record.rolloutId}`);
    }
    await this.recordAction(record.rolloutId, { action: 'start', by: record.requestedBy, at: record.createdAt });
  }

  async recordAction(rolloutId: string, action: RolloutAction): Promise<void> {
    try {
      await this.table.createEntity({ partitionKey: `actions-${rolloutId}`, rowKey: `${action.at}-${randomUUID()}`, rolloutId, ...action });
    } catch (error) {
      throw toFleetGuardError(error, `recording ${action.action} of rollout ${rolloutId}`);
    }
  }

  async list(): Promise<RolloutRecord[]> {
    const records: RolloutRecord[] = [];
    try {
      for await (const row of this.table.listEntities<RolloutRecord>({ queryOptions: { filter: odata`PartitionKey eq ${'rollout'}` } })) {
        records.push({ rolloutId: row.rolloutId, target: row.target, upgradeType: row.upgradeType, requestedBy: row.requestedBy, createdAt: row.createdAt, waves: row.waves, clusters: row.clusters });
      }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw toFleetGuardError(error, 'listing rollouts');
    }
    return records.sort((left, right) => right.createdAt.localeCompare(left.createdAt));
  }

  async actions(rolloutId: string): Promise<RolloutAction[]> {
    const actions: RolloutAction[] = [];
    try {
      for await (const row of this.table.listEntities<RolloutAction>({ queryOptions: { filter: odata`PartitionKey eq ${`actions-${rolloutId}`}` } })) {
        actions.push({ action: row.action, by: row.by, at: row.at });
      }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw toFleetGuardError(error, `listing actions of rollout ${rolloutId}`);
    }
    return actions;
  }
}
