/** Silences (partition `silence`): matchers and a time range during which matching alerts are held back. */
import { randomUUID } from 'node:crypto';

import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';

import { type EntityOf, optionalText, safeParseEntity, textOrEmpty } from '../../azure/tableEntity.js';
import { FleetGuardError, toFleetGuardError } from '../../errors.js';
import type { Silence, SilenceMatchers } from '../alert.js';
import { isStatus } from './tableWrites.js';

/** A silence row. Its matchers are JSON text; a row whose matchers are not JSON is skipped, as it always was. */
const silenceEntity = z
  .object({
    rowKey: textOrEmpty,
    matchers: textOrEmpty.transform((text, context): SilenceMatchers => {
      try {
        return JSON.parse(text) as SilenceMatchers;
      } catch {
        context.addIssue({ code: 'custom', message: 'is not JSON' });
        return z.NEVER;
      }
    }),
    startsAt: textOrEmpty,
    endsAt: textOrEmpty,
    createdBy: textOrEmpty,
    createdByObjectId: optionalText,
    createdByAppId: optionalText,
    createdBySlackUserId: optionalText,
    comment: textOrEmpty,
    /** Written by expireSilence: who ended it early. */
    expiredBy: optionalText,
  })
  .transform(({ rowKey, createdByObjectId, createdByAppId, createdBySlackUserId, expiredBy, ...silence }): Silence => ({
    id: rowKey,
    ...silence,
    ...(createdByObjectId === undefined ? {} : { createdByObjectId }),
    ...(createdByAppId === undefined ? {} : { createdByAppId }),
    ...(createdBySlackUserId === undefined ? {} : { createdBySlackUserId }),
    ...(expiredBy === undefined ? {} : { expiredBy }),
  }));

/** Who acted on a silence: the display name, and the Entra object id and client app id when known. */
export interface SilenceActor {
  name: string;
  objectId?: string;
  appId?: string;
  /** The Slack user who pressed a silence button (lib/alerts/interactions/). */
  slackUserId?: string;
}

/** The id of a silence that already exists when a create names it (an idempotent create lost a race or was retried). */
export class SilenceExistsError extends Error {
  constructor(readonly id: string) {
    super(`silence ${id} exists`);
  }
}

export class SilenceStore {
  constructor(private readonly table: TableClient) {}

  async createSilence(
    matchers: SilenceMatchers,
    options: { startsAt: Date; endsAt: Date; createdBy: string | SilenceActor; comment: string; id?: string },
  ): Promise<Silence> {
    if (
      matchers.ruleId === undefined &&
      matchers.cluster === undefined &&
      matchers.subscription === undefined &&
      matchers.severity === undefined &&
      (matchers.tags === undefined || Object.keys(matchers.tags).length === 0)
    ) {
      throw new FleetGuardError('badInput', 'a silence needs at least one matcher (rule, cluster, subscription, severity or tag)');
    }
    if (options.endsAt.getTime() <= options.startsAt.getTime()) throw new FleetGuardError('badInput', 'a silence must end after it starts');
    const by: SilenceActor = typeof options.createdBy === 'string' ? { name: options.createdBy } : options.createdBy;
    const silence: Silence = {
      // A given id makes the create idempotent: a second create of it fails with SilenceExistsError.
      id: options.id ?? randomUUID(),
      matchers,
      startsAt: options.startsAt.toISOString(),
      endsAt: options.endsAt.toISOString(),
      createdBy: by.name,
      ...(by.objectId === undefined ? {} : { createdByObjectId: by.objectId }),
      ...(by.appId === undefined ? {} : { createdByAppId: by.appId }),
      ...(by.slackUserId === undefined ? {} : { createdBySlackUserId: by.slackUserId }),
      comment: options.comment,
    };
    try {
      const row: EntityOf<typeof silenceEntity> = {
        partitionKey: 'silence',
        rowKey: silence.id,
        matchers: JSON.stringify(matchers),
        startsAt: silence.startsAt,
        endsAt: silence.endsAt,
        createdBy: silence.createdBy,
        ...(silence.createdByObjectId === undefined ? {} : { createdByObjectId: silence.createdByObjectId }),
        ...(silence.createdByAppId === undefined ? {} : { createdByAppId: silence.createdByAppId }),
        ...(silence.createdBySlackUserId === undefined ? {} : { createdBySlackUserId: silence.createdBySlackUserId }),
        comment: silence.comment,
      };
      await this.table.createEntity(row);
    } catch (error) {
      if (options.id !== undefined && isStatus(error, 409)) throw new SilenceExistsError(options.id);
      throw toFleetGuardError(error, 'creating the silence');
    }
    return silence;
  }

  async listSilences(): Promise<Silence[]> {
    const silences: Silence[] = [];
    try {
      for await (const row of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${'silence'}` } })) {
        const parsed = safeParseEntity(silenceEntity, this.table.tableName, row);
        if ('value' in parsed) silences.push(parsed.value);
      }
    } catch (error) {
      if (!isStatus(error, 404)) throw toFleetGuardError(error, 'reading silences');
    }
    return silences.sort((left, right) => left.startsAt.localeCompare(right.startsAt));
  }

  /** One silence by id, or undefined when there is none (or its row is unreadable). */
  async getSilence(id: string): Promise<Silence | undefined> {
    try {
      const row = await this.table.getEntity<Record<string, unknown>>('silence', id);
      const parsed = safeParseEntity(silenceEntity, this.table.tableName, row);
      return 'value' in parsed ? parsed.value : undefined;
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw toFleetGuardError(error, `reading silence ${id}`);
    }
  }

  /** Ends a silence now; false when there is no such silence. */
  async expireSilence(id: string, now: Date, expiredBy: string | SilenceActor): Promise<boolean> {
    const by: SilenceActor = typeof expiredBy === 'string' ? { name: expiredBy } : expiredBy;
    try {
      const row = await this.table.getEntity<Record<string, unknown>>('silence', id);
      const endsAt = Date.parse(typeof row['endsAt'] === 'string' ? row['endsAt'] : '');
      const end = new Date(Math.min(endsAt, now.getTime())).toISOString();
      await this.table.updateEntity(
        {
          ...row,
          partitionKey: 'silence',
          rowKey: id,
          endsAt: end,
          expiredBy: by.name,
          ...(by.objectId === undefined ? {} : { expiredByObjectId: by.objectId }),
          ...(by.appId === undefined ? {} : { expiredByAppId: by.appId }),
        },
        'Replace',
        { etag: row.etag },
      );
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw toFleetGuardError(error, `expiring silence ${id}`);
    }
  }
}
