import { readFileSync } from 'node:fs';
import path from 'node:path';

import { packageRoot } from '../packageRoot.js';
import type { Detection } from './catalog.js';

const cache = new Map<string, string>();

/** The `.kql` file of a detection, read once. */
export function detectionQueryText(detection: Detection): string {
  let text = cache.get(detection.id);
  if (text === undefined) {
    text = readFileSync(path.join(packageRoot(), 'lib', 'detections', 'queries', `${detection.id}.kql`), 'utf8');
    cache.set(detection.id, text);
  }
  return text;
}

/** Marks the query so logs and the simulator can tell which detection it is. */
export function detectionMarker(detectionId: string): string {
  return `// fleetguard-detection: ${detectionId}`;
}

export interface QueryParameters {
  lookbackMinutes: number;
  threshold: number;
}

/**
 * The query as sent: typed `let` bindings for the parameters, then the file. The values are
 * numbers we validate, so nothing from the fleet is spliced into KQL text.
 */
export function prepareDetectionQuery(detection: Detection, parameters: QueryParameters): string {
  if (!Number.isInteger(parameters.lookbackMinutes) || parameters.lookbackMinutes <= 0) throw new Error(`lookback must be a positive whole number of minutes`);
  if (!Number.isFinite(parameters.threshold) || parameters.threshold < 0) throw new Error(`threshold must be a non-negative number`);
  return [
    detectionMarker(detection.id),
    `let lookback = ${parameters.lookbackMinutes}m;`,
    `let threshold = ${parameters.threshold};`,
    detectionQueryText(detection),
  ].join('\n');
}

/**
 * A KQL string literal for any text (names, ids, tags). Uses the double-quoted form with every
 * backslash, quote and control character escaped, so no input can end the literal early.
 */
export function kqlString(value: string): string {
  let escaped = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') escaped += '\\\\';
    else if (char === '"') escaped += '\\"';
    else if (char === '\n') escaped += '\\n';
    else if (char === '\r') escaped += '\\r';
    else if (char === '\t') escaped += '\\t';
    else if (code < 0x20 || code === 0x7f) escaped += `\\u${code.toString(16).padStart(4, '0')}`;
    else escaped += char;
  }
  return `"${escaped}"`;
}

/** The detection restricted to one cluster, its id passed as an escaped KQL literal. */
export function scopeToCluster(query: string, clusterId: string): string {
  return `${query}\n| where _ResourceId =~ ${kqlString(clusterId)}`;
}
