/**
 * The one reader of a snapshot folder's JSON files (CONTRACTS.md §2, §5): the bytes as people's
 * tools write them, decoded as UTF-8 or refused with one line naming the file and what it is.
 *
 * Windows PowerShell 5.1 writes UTF-16LE with a byte-order mark for `>` and `Out-File`, and UTF-8
 * with a BOM for `Out-File -Encoding utf8`; PowerShell 7 writes UTF-8 without one (Learn,
 * "about_Character_Encoding"). A UTF-8 BOM is accepted (CONTRACTS.md §3); UTF-16 is named, not
 * decoded into mojibake that JSON.parse then refuses at "position 0".
 */
import { readFileSync } from 'node:fs';

import { FleetGuardError } from '../../lib/errors.js';

/** A snapshot file that cannot be used: `<file>: <problem>`, reason `badInput` (exit 2). */
export function badSnapshotFile(file: string, problem: string): FleetGuardError {
  return new FleetGuardError('badInput', `${file}: ${problem}`);
}

const SAVE_AS_UTF8 = 'save it as UTF-8';

/**
 * UTF-16 without a byte-order mark: JSON text is ASCII almost everywhere, so every other byte of
 * its start is NUL (odd positions for little-endian, even for big-endian) and the others are not.
 */
function utf16WithoutBom(bytes: Buffer): 'LE' | 'BE' | undefined {
  const sample = bytes.subarray(0, Math.min(bytes.length, 512) & ~1);
  if (sample.length < 2) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let index = 0; index < sample.length; index += 2) {
    if (sample[index] === 0) evenNul += 1;
    if (sample[index + 1] === 0) oddNul += 1;
  }
  const pairs = sample.length / 2;
  if (oddNul >= pairs * 0.9 && evenNul === 0) return 'LE';
  if (evenNul >= pairs * 0.9 && oddNul === 0) return 'BE';
  return undefined;
}

/**
 * The text of a snapshot file's bytes: UTF-8, a leading BOM dropped. UTF-16 (either byte order,
 * with or without BOM) and anything that is not text are refused naming `file`.
 */
export function decodeSnapshotText(bytes: Buffer, file: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw badSnapshotFile(file, `UTF-16 text (${bytes[0] === 0xff ? 'little' : 'big'}-endian, with a byte-order mark); ${SAVE_AS_UTF8}`);
  }
  const order = utf16WithoutBom(bytes);
  if (order !== undefined) throw badSnapshotFile(file, `UTF-16 text (${order === 'LE' ? 'little' : 'big'}-endian); ${SAVE_AS_UTF8}`);
  if (bytes.includes(0)) throw badSnapshotFile(file, 'not text (it holds NUL bytes): expected a JSON body saved as UTF-8');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badSnapshotFile(file, `not UTF-8 text (another encoding, or not text at all); ${SAVE_AS_UTF8}`);
  }
  return text.replace(/^\uFEFF/, '');
}

/** Reads and parses one snapshot file; every problem is a `badInput` error naming the file. */
export function readSnapshotJson(file: string): unknown {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw badSnapshotFile(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const text = decodeSnapshotText(bytes, file);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badSnapshotFile(file, `is not valid JSON (${(error as Error).message})`);
  }
}
