/**
 * Acknowledgements (partitions `ack-{0-f}`, by the fingerprint's first hex digit; row key: the
 * fingerprint): the latest acknowledgement state of each finding, from PagerDuty webhooks or Slack
 * buttons. A lookup by fingerprint is a point read; the pipeline, which asks for every firing
 * finding of a run, reads the 16 partitions in one range query instead (only acknowledged findings
 * have rows, so they stay small).
 *
 * Writes are ETag-conditional and keep the newest event by its source time (`at`): PagerDuty
 * delivers in order per incident but may deliver late or twice (developer.pagerduty.com "Webhook
 * Behavior": at-least-once, retries for about 20 minutes; webhooks over 55 KB "may be delivered out of
 * order"), and two Functions instances may handle two events of one incident at once.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';

import { type EntityOf, optionalText, safeParseEntity, textOrEmpty } from '../../azure/tableEntity.js';
import { toFleetGuardError } from '../../errors.js';
import type { Acknowledgement, AcknowledgementPort } from '../interactionContract.js';
import { isStatus } from './tableWrites.js';

/** Point reads up to this many fingerprints; one range query over the 16 partitions above it. */
const POINT_READS_UP_TO = 16;

/** Characters kept of a display name, an id and a URL: fleet-foreign text bounded before it is stored. */
const MAX_TEXT = { by: 256, byId: 128, incidentUrl: 2_048 } as const;

/** Attempts of one conditional write racing other writers of the same row. */
const WRITE_ATTEMPTS = 5;

const FINGERPRINT = /^[0-9a-f]{64}$/;

/** Control characters out of text from outside (a PagerDuty user's name): it is shown in terminals and reports. */
function plain(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, max);
}

function ackPartition(fingerprint: string): string {
  return `ack-${fingerprint.slice(0, 1)}`;
}

const ackEntity = z.object({
  rowKey: z.string(),
  state: z.enum(['acknowledged', 'unacknowledged', 'resolved']),
  by: textOrEmpty,
  byId: textOrEmpty,
  source: z.enum(['slack', 'pagerduty']),
  at: z.string(),
  incidentUrl: optionalText,
  recordedAt: textOrEmpty,
});

function toAcknowledgement(value: z.output<typeof ackEntity>): Acknowledgement {
  return {
    fingerprint: value.rowKey,
    state: value.state,
    by: value.by,
    byId: value.byId,
    source: value.source,
    at: value.at,
    ...(value.incidentUrl === undefined ? {} : { incidentUrl: value.incidentUrl }),
  };
}

/** True when `candidate` may replace `stored`: not older by source time (an equal time is a later delivery of the same instant). */
export function supersedes(candidate: Acknowledgement, stored: Acknowledgement | undefined): boolean {
  return stored === undefined || Date.parse(candidate.at) >= Date.parse(stored.at);
}

export class AcknowledgementStore implements AcknowledgementPort {
  constructor(
    private readonly table: TableClient,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async record(acknowledgements: readonly Acknowledgement[]): Promise<void> {
    for (const acknowledgement of acknowledgements) {
      if (!FINGERPRINT.test(acknowledgement.fingerprint) || Number.isNaN(Date.parse(acknowledgement.at))) continue;
      await this.recordOne(acknowledgement);
    }
  }

  private async recordOne(acknowledgement: Acknowledgement): Promise<void> {
    const row: EntityOf<typeof ackEntity> = {
      partitionKey: ackPartition(acknowledgement.fingerprint),
      rowKey: acknowledgement.fingerprint,
      state: acknowledgement.state,
      by: plain(acknowledgement.by, MAX_TEXT.by),
      byId: plain(acknowledgement.byId, MAX_TEXT.byId),
      source: acknowledgement.source,
      at: new Date(Date.parse(acknowledgement.at)).toISOString(),
      ...(acknowledgement.incidentUrl === undefined ? {} : { incidentUrl: plain(acknowledgement.incidentUrl, MAX_TEXT.incidentUrl) }),
      recordedAt: this.clock().toISOString(),
    };
    try {
      for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt += 1) {
        const stored = await this.readRow(acknowledgement.fingerprint);
        if (stored?.value !== undefined && !supersedes(acknowledgement, stored.value)) return;
        try {
          if (stored === undefined) await this.table.createEntity(row);
          else await this.table.updateEntity(row, 'Replace', { etag: stored.etag });
          return;
        } catch (error) {
          // Another writer got there first (409 on create, 412 on a changed ETag): read again and compare.
          if (!isStatus(error, 409, 412)) throw error;
        }
      }
      throw new Error('the row kept changing under concurrent writers');
    } catch (error) {
      throw toFleetGuardError(error, `recording the acknowledgement of finding ${acknowledgement.fingerprint}`);
    }
  }

  /** The row and its ETag; `value` is undefined for a row no schema accepts (the next event replaces it, its ETag still guarding the write). */
  private async readRow(fingerprint: string): Promise<{ value: Acknowledgement | undefined; etag: string } | undefined> {
    try {
      const entity = await this.table.getEntity<Record<string, unknown>>(ackPartition(fingerprint), fingerprint);
      const parsed = safeParseEntity(ackEntity, this.table.tableName, entity);
      return { value: 'error' in parsed ? undefined : toAcknowledgement(parsed.value), etag: entity.etag };
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async current(fingerprints: readonly string[]): Promise<Map<string, Acknowledgement>> {
    const wanted = new Set(fingerprints.filter((fingerprint) => FINGERPRINT.test(fingerprint)));
    const found = new Map<string, Acknowledgement>();
    if (wanted.size === 0) return found;
    try {
      if (wanted.size <= POINT_READS_UP_TO) {
        const rows = await Promise.all([...wanted].map((fingerprint) => this.readRow(fingerprint)));
        for (const row of rows) if (row?.value !== undefined) found.set(row.value.fingerprint, row.value);
        return found;
      }
      // '-' < '.': one range query covers ack-0 … ack-f.
      for await (const entity of this.table.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey ge ${'ack-'} and PartitionKey lt ${'ack.'}` },
      })) {
        const parsed = safeParseEntity(ackEntity, this.table.tableName, entity);
        if ('error' in parsed || !wanted.has(parsed.value.rowKey)) continue;
        found.set(parsed.value.rowKey, toAcknowledgement(parsed.value));
      }
    } catch (error) {
      if (!isStatus(error, 404)) throw toFleetGuardError(error, 'reading acknowledgements');
    }
    return found;
  }
}
