/** CSV output (issue 17, "Pipelines"): RFC 4180 quoting, and no cell a spreadsheet would run as a formula. */
import { describe, expect, it } from 'vitest';

import { csvCell, toCsv } from '../../../lib/report/csv.js';

describe('csvCell', () => {
  it('quotes fields with commas, quotes, CR or LF and doubles inner quotes (RFC 4180 §2)', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rhere')).toBe('"cr\rhere"');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(3)).toBe('3');
  });

  it('neutralises cells starting with = + - @ tab or CR (OWASP CSV injection) with a leading quote', () => {
    expect(csvCell('=HYPERLINK("http://evil","x")')).toBe('"\'=HYPERLINK(""http://evil"",""x"")"');
    expect(csvCell('+1')).toBe('"\'+1"');
    expect(csvCell('-2+3')).toBe('"\'-2+3"');
    expect(csvCell('@SUM(A1)')).toBe('"\'@SUM(A1)"');
    expect(csvCell('\tx')).toBe('"\'\tx"');
    expect(csvCell('\rx')).toBe('"\'\rx"');
    expect(csvCell('a=b')).toBe('a=b');
  });
});

describe('toCsv', () => {
  it('writes a header and one CRLF-terminated record per row', () => {
    const text = toCsv<{ name: string; n: number }>(
      [
        { header: 'name', value: (row) => row.name },
        { header: 'n', value: (row) => row.n },
      ],
      [
        { name: 'a,b', n: 1 },
        { name: '=cmd', n: 2 },
      ],
    );
    expect(text).toBe('name,n\r\n"a,b",1\r\n"\'=cmd",2\r\n');
  });
});
