/**
 * Node-pool rollback requests of a rollout, in the rollouts table (partition `rollbacks-{rolloutId}`,
 * one row per request): who asked, who approved, which pools to which versions, and the outcome.
 * Approval is an ETag-conditional update, so two approvers racing start one rollback, not two.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';

import type { Actor } from '../auth/principal.js';
import { jsonText, optionalText, parseEntity, textOrEmpty } from '../azure/tableEntity.js';
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

const ROLLBACK_STATES = ['PendingApproval', 'Approved', 'Completed', 'Failed'] as const satisfies readonly RollbackState[];

/** Who did something and when, as columns `{prefix}By`, `{prefix}ByObjectId`, `{prefix}ByAppId`, `{prefix}At`. */
function actorOf(
  by: string | undefined,
  objectId: string | undefined,
  appId: string | undefined,
  at: string | undefined,
): (Actor & { at: string }) | undefined {
  if (by === undefined) return undefined;
  return { by, ...(objectId === undefined ? {} : { byObjectId: objectId }), ...(appId === undefined ? {} : { byAppId: appId }), at: at ?? '' };
}

function actorColumns(prefix: string, who: Actor & { at: string }): Record<string, string> {
  return {
    [`${prefix}By`]: who.by,
    ...(who.byObjectId === undefined ? {} : { [`${prefix}ByObjectId`]: who.byObjectId }),
    ...(who.byAppId === undefined ? {} : { [`${prefix}ByAppId`]: who.byAppId }),
    [`${prefix}At`]: who.at,
  };
}

const arrayOf = <T>(value: unknown): T[] | undefined => (Array.isArray(value) ? (value as T[]) : undefined);

/**
 * One rollback request (partition `rollbacks-{rolloutId}`), through the shared entity mapping
 * (lib/azure/tableEntity.ts). Lenient where older rows may lack a column; only this store writes them.
 */
const rollbackEntity = z
  .object({
    rowKey: z.string(),
    rolloutId: textOrEmpty,
    state: z.enum(ROLLBACK_STATES).catch('PendingApproval'),
    requestedBy: optionalText,
    requestedByObjectId: optionalText,
    requestedByAppId: optionalText,
    requestedAt: optionalText,
    approvedBy: optionalText,
    approvedByObjectId: optionalText,
    approvedByAppId: optionalText,
    approvedAt: optionalText,
    targets: jsonText(
      (value) => arrayOf<RollbackTarget>(value),
      () => [],
    ),
    results: jsonText<PoolRollbackResult[] | undefined>(
      (value) => arrayOf<PoolRollbackResult>(value),
      () => undefined,
    ),
    etag: textOrEmpty,
  })
  .transform((row): RollbackRequest & { etag: string } => {
    const approved = actorOf(row.approvedBy, row.approvedByObjectId, row.approvedByAppId, row.approvedAt);
    return {
      rollbackId: row.rowKey,
      rolloutId: row.rolloutId,
      state: row.state,
      requested: actorOf(row.requestedBy, row.requestedByObjectId, row.requestedByAppId, row.requestedAt) ?? { by: '', at: '' },
      ...(approved === undefined ? {} : { approved }),
      targets: row.targets,
      ...(row.results === undefined ? {} : { results: row.results }),
      etag: row.etag,
    };
  });

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
      return parseEntity(rollbackEntity, this.table.tableName, await this.table.getEntity<Record<string, unknown>>(partition(rolloutId), rollbackId));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw toFleetGuardError(error, `reading rollback ${rollbackId} of rollout ${rolloutId}`);
    }
  }

  async list(rolloutId: string): Promise<RollbackRequest[]> {
    const requests: RollbackRequest[] = [];
    try {
      for await (const row of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partition(rolloutId)}` } })) {
        const { rollbackId, rolloutId, state, requested, approved, targets, results } = parseEntity(rollbackEntity, this.table.tableName, row);
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

  /**
   * Gives an approval back (state PendingApproval, approver cleared) when the rollback it approved
   * could not be started, so the request is not left Approved with nothing running.
   */
  async reopen(rolloutId: string, rollbackId: string): Promise<void> {
    try {
      await this.table.updateEntity(
        {
          partitionKey: partition(rolloutId),
          rowKey: rollbackId,
          state: 'PendingApproval',
          approvedBy: '',
          approvedByObjectId: '',
          approvedByAppId: '',
          approvedAt: '',
        },
        'Merge',
      );
    } catch (error) {
      throw toFleetGuardError(error, `giving back the approval of rollback ${rollbackId} of rollout ${rolloutId}`);
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
