import { readFileSync } from 'node:fs';
import path from 'node:path';

import { kqlString } from '../kqlString.js';
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

/** Throws unless the parameters are plain numbers (they are written into the KQL text). */
export function validateParameters(parameters: QueryParameters): void {
  if (!Number.isInteger(parameters.lookbackMinutes) || parameters.lookbackMinutes <= 0) throw new Error(`lookback must be a positive whole number of minutes`);
  if (!Number.isFinite(parameters.threshold) || parameters.threshold < 0) throw new Error(`threshold must be a non-negative number`);
}

/**
 * The query as sent: typed `let` bindings for the parameters, then the file. The values are
 * numbers we validate, so nothing from the fleet is spliced into KQL text.
 */
export function prepareDetectionQuery(detection: Detection, parameters: QueryParameters): string {
  validateParameters(parameters);
  return [
    detectionMarker(detection.id),
    `let lookback = ${parameters.lookbackMinutes}m;`,
    `let threshold = ${parameters.threshold};`,
    detectionQueryText(detection),
  ].join('\n');
}

export { kqlString } from '../kqlString.js';

/** The detection restricted to one cluster, its id passed as an escaped KQL literal. */
export function scopeToCluster(query: string, clusterId: string): string {
  return `${query}\n| where _ResourceId =~ ${kqlString(clusterId)}`;
}
