/**
 * Node-pool rollback requests of a rollout, in the rollouts table (partition `rollbacks-{rolloutId}`,
 * one row per request): who asked, who approved, which pools to which versions, and the outcome.
 * Approval is an ETag-conditional update, so two approvers racing start one rollback, not two.
 */
import { odata, type TableClient } from '@azure/data-tables';

import type { Actor } from '../auth/principal.js';
import { FleetGuardError, toFleetGuardError } from '../errors.js';
import type { RollbackTarget } from './rollback.js';

export type RollbackState = 'PendingApproval' | 'Approved' | 'Completed' | 'Failed';

/** The outcome of one pool's rollback. */
export interface PoolRollbackResult {
  resourceId: string;
  pool: string;
  status: 'RolledBack' | 'Failed';
  reason: string | null;
}

export interface RollbackRequest {
  rollbackId: string;
  rolloutId: string;
  state: RollbackState;
  requested: Actor & { at: string };
  approved?: Actor & { at: string };
  targets: RollbackTarget[];
  results?: PoolRollbackResult[];
}

function partition(rolloutId: string): string {
  return `rollbacks-${rolloutId}`;
}

function parsed<T>(value: unknown, fallback: T): T {
  if (typeof value !== 'string') return fallback;
  try {
    return JSON.parse(value) as T;
  } catch {
    return fallback;
  }
}

function actor(row: Record<string, unknown>, prefix: string): (Actor & { at: string }) | undefined {
  const by = row[`${prefix}By`];
  if (typeof by !== 'string') return undefined;
  const text = (key: string): string | undefined => {
    const value = row[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const objectId = text(`${prefix}ByObjectId`);
  const appId = text(`${prefix}ByAppId`);
  return { by, ...(objectId === undefined ? {} : { byObjectId: objectId }), ...(appId === undefined ? {} : { byAppId: appId }), at: text(`${prefix}At`) ?? '' };
}

function actorColumns(prefix: string, who: Actor & { at: string }): Record<string, string> {
  return {
    [`${prefix}By`]: who.by,
    ...(who.byObjectId === undefined ? {} : { [`${prefix}ByObjectId`]: who.byObjectId }),
    ...(who.byAppId === undefined ? {} : { [`${prefix}ByAppId`]: who.byAppId }),
    [`${prefix}At`]: who.at,
  };
}

function textOf(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function requestOf(row: Record<string, unknown>): RollbackRequest & { etag: string } {
  const approved = actor(row, 'approved');
  const results = parsed<PoolRollbackResult[] | undefined>(row['results'], undefined);
  return {
    rollbackId: textOf(row['rowKey'], ''),
    rolloutId: textOf(row['rolloutId'], ''),
    state: textOf(row['state'], 'PendingApproval') as RollbackState,
    requested: actor(row, 'requested') ?? { by: '', at: '' },
    ...(approved === undefined ? {} : { approved }),
    targets: parsed<RollbackTarget[]>(row['targets'], []),
    ...(results === undefined ? {} : { results }),
    etag: textOf(row['etag'], ''),
  };
}

export class RollbackStore {
  constructor(private readonly table: TableClient) {}

  async create(request: RollbackRequest): Promise<void> {
    try {
      await this.table.createEntity({
        partitionKey: partition(request.rolloutId),
        rowKey: request.rollbackId,
        rolloutId: request.rolloutId,
        state: request.state,
        ...actorColumns('requested', request.requested),
        targets: JSON.stringify(request.targets),
      });
    } catch (error) {
      throw toFleetGuardError(error, `recording rollback ${request.rollbackId} of rollout ${request.rolloutId}`);
    }
  }

  async get(rolloutId: string, rollbackId: string): Promise<(RollbackRequest & { etag: string }) | undefined> {
    try {
      return requestOf(await this.table.getEntity<Record<string, unknown>>(partition(rolloutId), rollbackId));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw toFleetGuardError(error, `reading rollback ${rollbackId} of rollout ${rolloutId}`);
    }
  }

  async list(rolloutId: string): Promise<RollbackRequest[]> {
    const requests: RollbackRequest[] = [];
    try {
      for await (const row of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partition(rolloutId)}` } })) {
        const { rollbackId, rolloutId, state, requested, approved, targets, results } = requestOf(row);
        requests.push({
          rollbackId,
          rolloutId,
          state,
          requested,
          ...(approved === undefined ? {} : { approved }),
          targets,
          ...(results === undefined ? {} : { results }),
        });
      }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw toFleetGuardError(error, `listing rollbacks of rollout ${rolloutId}`);
    }
    return requests.sort((left, right) => left.requested.at.localeCompare(right.requested.at));
  }

  /**
   * Marks a pending request approved, only if nobody changed it since `etag` was read: a second
   * approval of the same request is refused (`badInput` naming it) instead of starting twice.
   */
  async approve(rolloutId: string, rollbackId: string, etag: string, approved: Actor & { at: string }): Promise<void> {
    try {
      await this.table.updateEntity(
        { partitionKey: partition(rolloutId), rowKey: rollbackId, state: 'Approved', ...actorColumns('approved', approved) },
        'Merge',
        { etag },
      );
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 412)
        throw new FleetGuardError('badInput', `rollback ${rollbackId} changed while it was being approved; read it again`);
      throw toFleetGuardError(error, `approving rollback ${rollbackId} of rollout ${rolloutId}`);
    }
  }

  async finish(rolloutId: string, rollbackId: string, state: 'Completed' | 'Failed', results: readonly PoolRollbackResult[]): Promise<void> {
    try {
      await this.table.upsertEntity({ partitionKey: partition(rolloutId), rowKey: rollbackId, state, results: JSON.stringify(results) }, 'Merge');
    } catch (error) {
      throw toFleetGuardError(error, `recording the outcome of rollback ${rollbackId} of rollout ${rolloutId}`);
    }
  }
}
