/**
 * All detections of a sweep in one Log Analytics query per workspace. Log Analytics allows 5
 * concurrent queries and 200 queries per 30 s per user (Learn: "Azure Monitor service limits", log
 * queries, https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits#log-queries-and-language);
 * one query per (workspace, detection) sent 7 where 1 does.
 *
 * Each detection stays its own query: a `let` function whose body binds that detection's own
 * `lookback` and `threshold` and then holds its `.kql` file unchanged, so every leg keeps its own
 * time filter. The legs' result schemas differ (`Pods` is a long in one, a dynamic in another, and
 * `union` would rename such columns by type), so each leg is projected to one common schema:
 * `Detection` (the detection id), `_ResourceId`, and `Row`, the leg's own row as a property bag
 * (`pack_all()`). The rows are split back per detection (`splitUnionRows`) into exactly the rows the
 * detection's own query returns, and evaluated as before.
 */
import { kqlString } from '../kqlString.js';
import type { Detection } from './catalog.js';
import type { ResultRow } from './evaluateDetections.js';
import { detectionMarker, detectionQueryText, type QueryParameters, validateParameters } from './query.js';

/** The first line of a union query: which detections it holds, in order (the simulator reads it). */
export const UNION_MARKER = '// fleetguard-detections:';
/** The column naming each row's detection. */
export const DETECTION_COLUMN = 'Detection';
/** The column holding each row of a detection's own result, as a property bag. */
export const ROW_COLUMN = 'Row';

export interface UnionPart {
  detection: Detection;
  parameters: QueryParameters;
}

export interface UnionQuery {
  text: string;
  /** The query's time range: the longest look-back of its legs (each leg filters its own). */
  lookbackMinutes: number;
  detectionIds: readonly string[];
}

/** A KQL name for a detection's function: its id (catalog constant, `[a-z0-9-]`) with `_` for `-`. */
function functionName(detection: Detection): string {
  if (!/^[a-z0-9-]+$/.test(detection.id)) throw new Error(`detection id ${JSON.stringify(detection.id)} is not a plain name`);
  return `detection_${detection.id.replace(/-/g, '_')}`;
}

/** The union of the detections' queries, each with its own parameters. */
export function prepareUnionQuery(parts: readonly UnionPart[]): UnionQuery {
  if (parts.length === 0) throw new Error('a union query needs at least one detection');
  const lines = [`${UNION_MARKER} ${parts.map((part) => part.detection.id).join(', ')}`];
  for (const { detection, parameters } of parts) {
    validateParameters(parameters);
    lines.push(
      `let ${functionName(detection)} = () {`,
      detectionMarker(detection.id),
      `let lookback = ${parameters.lookbackMinutes}m;`,
      `let threshold = ${parameters.threshold};`,
      detectionQueryText(detection).trimEnd(),
      '};',
    );
  }
  lines.push(
    'union',
    parts
      .map(
        ({ detection }) =>
          `  (${functionName(detection)}() | project ${DETECTION_COLUMN} = ${kqlString(detection.id)}, _ResourceId, ${ROW_COLUMN} = pack_all())`,
      )
      .join(',\n'),
  );
  return {
    text: lines.join('\n'),
    lookbackMinutes: Math.max(...parts.map((part) => part.parameters.lookbackMinutes)),
    detectionIds: parts.map((part) => part.detection.id),
  };
}

/**
 * The union's rows back per detection: each `Row` bag is the row the detection's own query returns.
 * Rows of a detection the query did not hold, or without a bag, are dropped.
 */
export function splitUnionRows(rows: readonly ResultRow[], detectionIds: readonly string[]): Map<string, ResultRow[]> {
  const byDetection = new Map<string, ResultRow[]>(detectionIds.map((id) => [id, []]));
  for (const row of rows) {
    const id = row[DETECTION_COLUMN];
    const bag = row[ROW_COLUMN];
    const list = typeof id === 'string' ? byDetection.get(id) : undefined;
    if (list === undefined || typeof bag !== 'object' || bag === null || Array.isArray(bag)) continue;
    list.push(bag as ResultRow);
  }
  return byDetection;
}
