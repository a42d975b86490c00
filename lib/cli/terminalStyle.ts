/**
 * Colour on the command line through Node's own `util.styleText` (Node 20.12+, so no dependency),
 * decided once per run: `NO_COLOR` (no-color.org: present and not empty) turns it off,
 * `FORCE_COLOR` turns it on (`0` / `false` off, as Node reads it), else only when stdout is a
 * terminal. Node 20's styleText always emits the escape codes (the stream check came in 22.13),
 * so the decision is ours and the same on every supported Node.
 */
import { styleText } from 'node:util';

import type { Severity } from '../model/finding.js';

export type StyleFormat = Parameters<typeof styleText>[0];
/** Paints text with a style, or returns it as it is when colour is off. */
export type Paint = (format: StyleFormat, text: string) => string;

export function colourEnabled(env: Readonly<Record<string, string | undefined>>, isTerminal: boolean): boolean {
  const noColor = env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return isTerminal && env['TERM'] !== 'dumb';
}

export function painter(enabled: boolean): Paint {
  return enabled ? (format, text) => styleText(format, text) : (_format, text) => text;
}

export const plain: Paint = painter(false);

const SEVERITY_STYLES: Record<Severity, StyleFormat> = {
  critical: ['bold', 'red'],
  high: 'red',
  medium: 'yellow',
  low: 'cyan',
  info: 'gray',
};

export function paintSeverity(paint: Paint, severity: Severity): string {
  return paint(SEVERITY_STYLES[severity], severity);
}
