import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { shellWord } from '../../lib/shellWord.js';

/** The words bash makes of `words`, joined by spaces as a suggested command joins them, and the files it left behind. */
function bashWords(words: string[]): { words: string[]; files: string[] } {
  const directory = mkdtempSync(path.join(tmpdir(), 'shellword-'));
  try {
    const output = execFileSync('bash', ['-c', `curl() { touch curl-ran; }; printf '%s\\0' ${words.join(' ')}`], { cwd: directory, encoding: 'utf8' });
    return { words: output.split('\0').slice(0, -1), files: readdirSync(directory) };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
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

  it('bash reads 500 sampled hostile strings back as one word each, itself, and runs nothing', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom('$(curl evil)', '`id`', 'a;b', "'", '"', '\\', '$HOME', '*', '!x', 'a b', '--name', '#c', '~', '&&', '|', '>out'),
    );
    // One bash run for every sampled word (a run per case would cost seconds on a loaded machine).
    const values = fc.sample(hostile, { numRuns: 500, seed: 14 });
    // eslint-disable-next-line no-control-regex
    const visible = values.map((value) => value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?'));
    expect(bashWords(values.map(shellWord))).toEqual({ words: visible, files: [] });
  });
});
