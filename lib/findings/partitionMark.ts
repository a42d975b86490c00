/**
 * The partition mark: one row per subscription partition of the findings table that says which
 * open findings a later sweep saw unchanged, so their rows need not be rewritten every sweep.
 *
 * A sweep that observes an open finding exactly as stored changes only its `lastSeen`, `observedAt`
 * and `sweepId`. Instead of rewriting the row (14,813 rows per sweep at 5,000 clusters), the store
 * records the finding in the mark ("carried by sweep S at T"), and every read applies the mark:
 * the *effective* row is what the row would hold had it been rewritten. Invariant: the effective
 * row equals the row the store wrote before marks existed, so every reader (report, CLI, the
 * lifecycle's "row newer than this sweep" check, resolution) answers the same.
 *
 * Every write to a partition carries the mark with its ETag in the same entity group transaction
 * (Learn: "Performing entity group transactions": all operations succeed or fail together, in one
 * partition, at most 100 operations), so writers of one partition are serialised on the mark: a
 * writer that read the partition before another wrote it fails with 412 and re-reads, exactly as
 * a row-level ETag conflict did.
 *
 * Pure: no I/O; the store reads and writes the mark row.
 */
import type { StoredFinding } from './lifecycle.js';

/** RowKey of the mark: fingerprints are lower-case hex, so `~` sorts after every finding and no fingerprint range includes it. */
export const MARK_ROW_KEY = '~carry';

/** Characters of a fingerprint the mark keeps: 64 bits; two rows of one partition sharing them are written, not carried. */
const KEY_LENGTH = 16;
/**
 * A Tables string property holds at most 64 KiB (32 K UTF-16 characters) and an entity at most
 * 1 MiB (Learn: "Understanding the Table service data model"): the carried list is cut into
 * properties of 30,000 characters, at most 15 of them (~900 KB); what does not fit is written as rows.
 */
const PROPERTY_CHARS = 30_000;
const MAX_PROPERTIES = 15;

/** One sweep that carried findings: its id and observation time. */
interface Carrier {
  sweepId: string;
  at: string;
}

/** Carried finding: the sweep that saw it (index into `carriers`) and the `observedAt` its row had then (index into `bases`). */
interface CarryEntry {
  carrier: number;
  base: number;
}

/** The mark as read: fingerprint prefix → who carried it. */
export interface PartitionMark {
  carriers: Carrier[];
  bases: string[];
  entries: Map<string, CarryEntry>;
}

export const EMPTY_MARK: PartitionMark = { carriers: [], bases: [], entries: new Map() };

function keyOf(fingerprint: string): string {
  return fingerprint.slice(0, KEY_LENGTH);
}

/**
 * The row as readers see it: an open row the mark carries (and that was not rewritten since, its
 * `observedAt` still the one carried) was seen by the carrying sweep.
 */
export function effectiveFinding(row: StoredFinding, mark: PartitionMark): StoredFinding {
  if (row.status !== 'open') return row;
  const entry = mark.entries.get(keyOf(row.fingerprint));
  if (entry === undefined) return row;
  const carrier = mark.carriers[entry.carrier];
  if (carrier === undefined || mark.bases[entry.base] !== row.observedAt || carrier.at <= row.observedAt) return row;
  return { ...row, lastSeen: carrier.at, observedAt: carrier.at, sweepId: carrier.sweepId };
}

/** What one finding's row holds after a writer: written as is, or its physical row kept and carried. */
export type AfterWrite = { written: StoredFinding } | { physical: StoredFinding; effective: StoredFinding };

/**
 * The mark after a writer: every row not written keeps (or gets) its carry. Returns the mark and the
 * fingerprints that could not be carried (prefix shared, or over the size limit) and must be written.
 */
export function buildMark(rows: ReadonlyMap<string, AfterWrite>): { mark: PartitionMark; mustWrite: string[] } {
  const carried: Array<{ fingerprint: string; physical: StoredFinding; effective: StoredFinding }> = [];
  const prefixes = new Map<string, number>();
  for (const [fingerprint, row] of rows) {
    prefixes.set(keyOf(fingerprint), (prefixes.get(keyOf(fingerprint)) ?? 0) + 1);
    if ('written' in row) continue;
    if (row.effective.observedAt === row.physical.observedAt && row.effective.sweepId === row.physical.sweepId) continue;
    carried.push({ fingerprint, physical: row.physical, effective: row.effective });
  }
  const mustWrite: string[] = [];
  const mark: PartitionMark = { carriers: [], bases: [], entries: new Map() };
  const carrierIndex = new Map<string, number>();
  const baseIndex = new Map<string, number>();
  let chars = 0;
  // Newest carries first: if the list overflows, the rows written are the ones carried longest.
  carried.sort((left, right) => right.effective.observedAt.localeCompare(left.effective.observedAt) || left.fingerprint.localeCompare(right.fingerprint));
  for (const { fingerprint, physical, effective } of carried) {
    if ((prefixes.get(keyOf(fingerprint)) ?? 0) > 1 || chars > PROPERTY_CHARS * (MAX_PROPERTIES - 1)) {
      mustWrite.push(fingerprint);
      continue;
    }
    const carrierKey = `${effective.sweepId}\n${effective.observedAt}`;
    let carrier = carrierIndex.get(carrierKey);
    if (carrier === undefined) {
      carrier = mark.carriers.push({ sweepId: effective.sweepId, at: effective.observedAt }) - 1;
      carrierIndex.set(carrierKey, carrier);
    }
    let base = baseIndex.get(physical.observedAt);
    if (base === undefined) {
      base = mark.bases.push(physical.observedAt) - 1;
      baseIndex.set(physical.observedAt, base);
    }
    mark.entries.set(keyOf(fingerprint), { carrier, base });
    chars += KEY_LENGTH + 12;
  }
  return { mark, mustWrite };
}

/** The mark's row properties (besides the keys). */
export function markProperties(mark: PartitionMark): Record<string, string> {
  const text = [...mark.entries].map(([key, entry]) => `${key}.${entry.carrier.toString(36)}.${entry.base.toString(36)}`);
  const properties: Record<string, string> = {
    carriers: JSON.stringify(mark.carriers.map((carrier) => [carrier.sweepId, carrier.at])),
    bases: JSON.stringify(mark.bases),
  };
  let part = 0;
  let current: string[] = [];
  let length = 0;
  const flush = () => {
    properties[`carried${part}`] = current.join(' ');
    part += 1;
    current = [];
    length = 0;
  };
  for (const item of text) {
    if (length + item.length + 1 > PROPERTY_CHARS) flush();
    current.push(item);
    length += item.length + 1;
  }
  flush();
  properties['parts'] = String(part);
  return properties;
}

/** The mark read back; anything unreadable reads as no carry at all (rows then show what they hold). */
export function parseMark(entity: Record<string, unknown>): PartitionMark {
  try {
    const text = (name: string) => (typeof entity[name] === 'string' ? entity[name] : '[]');
    const carriers = JSON.parse(text('carriers')) as unknown;
    const bases = JSON.parse(text('bases')) as unknown;
    if (!Array.isArray(carriers) || !Array.isArray(bases) || !bases.every((base) => typeof base === 'string')) return EMPTY_MARK;
    const mark: PartitionMark = {
      carriers: carriers.flatMap((item: unknown) =>
        Array.isArray(item) && typeof item[0] === 'string' && typeof item[1] === 'string' ? [{ sweepId: item[0], at: item[1] }] : [{ sweepId: '', at: '' }],
      ),
      bases: bases,
      entries: new Map(),
    };
    const parts = Number(entity['parts'] ?? 0);
    for (let part = 0; part < parts; part += 1) {
      const text = entity[`carried${part}`];
      if (typeof text !== 'string' || text === '') continue;
      for (const item of text.split(' ')) {
        const [key, carrier, base] = item.split('.');
        if (key === undefined || carrier === undefined || base === undefined) continue;
        mark.entries.set(key, { carrier: parseInt(carrier, 36), base: parseInt(base, 36) });
      }
    }
    return mark;
  } catch {
    return EMPTY_MARK;
  }
}

/** True for the mark's row among a partition's rows. */
export function isMarkRow(entity: { rowKey?: string }): boolean {
  return entity.rowKey === MARK_ROW_KEY;
}
