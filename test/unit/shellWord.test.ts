import { execFileSync } from 'node:child_process';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { shellWord } from '../../lib/shellWord.js';

/** The words bash makes of `words`, joined by spaces as a suggested command joins them. */
function bashWords(words: string[]): string[] {
  const output = execFileSync('bash', ['-c', `printf '%s\\0' ${words.join(' ')}`], { encoding: 'utf8' });
  return output.split('\0').slice(0, -1);
}

describe('shellWord', () => {
  it('leaves plainly safe words (ids, GUIDs, versions) as they are', () => {
    expect(shellWord('/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web')).toBe(
      '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web',
    );
    expect(shellWord('1.30.4')).toBe('1.30.4');
    expect(shellWord('rg(prod)')).toBe("'rg(prod)'");
    expect(shellWord('')).toBe("''");
    expect(shellWord("it's")).toBe(`'it'\\''s'`);
  });

  it('shows control characters as ?', () => {
    expect(shellWord('a\nb\u0000c\u001bd\u2028')).toBe("'a?b?c?d?'");
  });

  it('bash reads every string back as exactly one word, itself, and runs nothing (property)', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom('$(curl evil)', '`id`', 'a;b', "'", '"', '\\', '$HOME', '*', '!x', 'a b', '--name', '#c', '~', '&&', '|', '>out'),
    );
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 20 }), (values) => {
        // eslint-disable-next-line no-control-regex
        const visible = values.map((value) => value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?'));
        expect(bashWords(values.map(shellWord))).toEqual(visible);
      }),
      { numRuns: 25 },
    );
  });
});
