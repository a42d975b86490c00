import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { fitText, jsonBytes, jsonEscape, truncate } from '../../../lib/alerts/notifiers/budget.js';
import { slackEscape } from '../../../lib/alerts/vendors/markup/slackText.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const graphemes = (text: string) => [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map((part) => part.segment);
const PIECES = ['&', '<', '>', 'a', '漢', '🚀', '👩‍👩‍👧‍👦', '𠀋', 'e\u0301', '🇫🇷', '"', '\\', '\n', '\u0007'];
const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 80 }).map((parts) => parts.join(''));

describe('truncate: cut to a budget without splitting a character, a grapheme or an escape', () => {
  it('fits the budget as measured after escaping, on whole graphemes, with no lone surrogate', () => {
    const escapes = { none: (raw: string) => raw, slack: slackEscape, json: jsonEscape };
    fc.assert(
      fc.property(
        text,
        fc.integer({ min: 0, max: 200 }),
        fc.constantFrom<'chars' | 'bytes'>('chars', 'bytes'),
        fc.constantFrom<keyof typeof escapes>('none', 'slack', 'json'),
        (raw, max, unit, escapeName) => {
          const escape = escapes[escapeName];
          const cut = truncate(raw, max, { unit, escape });
          const size = (value: string) => (unit === 'bytes' ? Buffer.byteLength(value) : value.length);
          expect(LONE_SURROGATE.test(cut)).toBe(false);
          if (cut === raw) {
            expect(size(escape(raw))).toBeLessThanOrEqual(max);
            return;
          }
          if (cut === '') return;
          expect(size(escape(cut))).toBeLessThanOrEqual(max);
          // What is kept is whole graphemes of the original, then the ellipsis.
          const kept = cut.slice(0, -1);
          expect(cut.endsWith('…')).toBe(true);
          expect(graphemes(raw).slice(0, graphemes(kept).length).join('')).toBe(kept);
        },
      ),
      { numRuns: 300, seed: 20261130 },
    );
  });

  it('keeps ZWJ sequences, flags and combining marks whole', () => {
    expect(truncate('ab👩‍👩‍👧‍👦', 5)).toBe('ab…');
    expect(truncate('🇫🇷🇫🇷', 4)).toBe('…');
    expect(truncate('🇫🇷🇫🇷', 5)).toBe('🇫🇷…');
    expect(truncate('cafe\u0301s', 5)).toBe('caf…');
  });

  it('measures an entity whole: a cut never leaves `&am`', () => {
    expect(slackEscape(truncate('R&D R&D', 8, { escape: slackEscape }))).toBe('R&amp;D…');
    expect(slackEscape(truncate('R&D R&D', 6, { escape: slackEscape }))).toBe('R…');
  });

  it('counts bytes when told to: a CJK character is three', () => {
    expect(truncate('漢字漢字', 9, { unit: 'bytes' })).toBe('漢字…');
    expect(truncate('漢字漢字', 9)).toBe('漢字漢字');
  });

  it('fitText cuts one field so that the whole JSON body fits, exactly', () => {
    const body = (detail: string) => ({ id: 'x', detail, tags: { a: '"quoted"' } });
    const fitted = fitText('漢"\n'.repeat(500), 300, body);
    expect(jsonBytes(fitted)).toBeLessThanOrEqual(300);
    expect(jsonBytes(fitted)).toBeGreaterThan(290);
    expect(fitText('short', 300, body)).toEqual(body('short'));
  });
});
