import { describe, expect, it } from 'vitest';

import { sameBeyondSeen } from '../../../lib/findings/findingEntity.js';
import { type AfterWrite, buildMark, effectiveFinding, EMPTY_MARK, markProperties, parseMark } from '../../../lib/findings/partitionMark.js';
import { storedFinding } from '../../harness/alerts.js';

const T1 = '2026-11-20T10:00:00.000Z';
const T2 = '2026-11-20T10:15:00.000Z';

function carried(fingerprint: string, overrides: Parameters<typeof storedFinding>[0] = {}): [string, AfterWrite] {
  const physical = storedFinding({ fingerprint, observedAt: T1, lastSeen: T1, sweepId: 's1', ...overrides });
  return [fingerprint, { physical, effective: { ...physical, observedAt: T2, lastSeen: T2, sweepId: 's2' } }];
}

describe('the partition mark', () => {
  it('round-trips through its row properties and gives a carried open row the carrying sweep', () => {
    const { mark, mustWrite } = buildMark(new Map([carried('a'.repeat(64)), carried('b'.repeat(64))]));
    expect(mustWrite).toEqual([]);
    const read = parseMark(markProperties(mark));
    const row = storedFinding({ fingerprint: 'a'.repeat(64), observedAt: T1, lastSeen: T1, sweepId: 's1' });
    expect(effectiveFinding(row, read)).toMatchObject({ lastSeen: T2, observedAt: T2, sweepId: 's2', firstSeen: row.firstSeen });
    // Rewritten since (another observedAt), resolved, or not carried: the row as it is.
    expect(effectiveFinding({ ...row, observedAt: T2, lastSeen: T2 }, read)).toMatchObject({ sweepId: 's1' });
    expect(effectiveFinding({ ...row, status: 'resolved' }, read)).toMatchObject({ lastSeen: T1 });
    expect(effectiveFinding({ ...row, fingerprint: 'c'.repeat(64) }, read)).toMatchObject({ lastSeen: T1 });
  });

  it('writes instead of carrying two rows that share the mark key, and an unreadable mark carries nothing', () => {
    const { mustWrite } = buildMark(new Map([carried(`${'d'.repeat(16)}0`), carried(`${'d'.repeat(16)}1`), carried('e'.repeat(64))]));
    expect(mustWrite.sort()).toEqual([`${'d'.repeat(16)}0`, `${'d'.repeat(16)}1`]);
    expect(parseMark({ carriers: '{not json', parts: '1', carried0: 'x' })).toEqual(EMPTY_MARK);
  });

  it('splits a large carried list across properties within the entity limit, and writes what does not fit', () => {
    const rows = new Map(Array.from({ length: 16_000 }, (_unused, index) => carried(index.toString(16).padStart(64, '0'))));
    const { mark, mustWrite } = buildMark(rows);
    const properties = markProperties(mark);
    const sizes = Object.values(properties).map((value) => value.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(30_000);
    expect(Object.keys(properties).length).toBeLessThanOrEqual(18);
    expect(mark.entries.size + mustWrite.length).toBe(16_000);
    expect(mustWrite.length).toBeGreaterThan(0);
    expect(parseMark(properties).entries.size).toBe(mark.entries.size);
  });

  it('counts a change of anything shown but the seen times as a change', () => {
    const row = storedFinding();
    expect(sameBeyondSeen(row, { ...row, lastSeen: T2, observedAt: T2, sweepId: 'other' })).toBe(true);
    expect(sameBeyondSeen(row, { ...row, severity: 'critical' })).toBe(false);
    expect(sameBeyondSeen(row, { ...row, detail: 'new' })).toBe(false);
    expect(sameBeyondSeen(row, { ...row, clusterTags: { ring: '1' } })).toBe(false);
  });
});
