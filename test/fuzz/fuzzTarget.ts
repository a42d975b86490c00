/**
 * A fuzz target is an input generator plus a check that classifies what the code under test did
 * with one input. The same targets run as vitest properties (a few hundred cases) and in
 * `npm run fuzz` (10,000 cases each), so CI and the long run check exactly the same properties.
 */
import fc from 'fast-check';

export interface FuzzTarget<T> {
  name: string;
  arbitrary: fc.Arbitrary<T>;
  /**
   * Runs one input through the real code path and returns the outcome labels to count (for
   * example `finding`, `input error`, `400`). Throws a `PropertyViolation` when a property fails.
   */
  check(input: T): Promise<string[]>;
}

/** A property failed: the message says which one and what was seen. */
export class PropertyViolation extends Error {
  override readonly name = 'PropertyViolation';
}

export function violated(message: string): never {
  throw new PropertyViolation(message);
}

export interface FuzzRun {
  target: string;
  runs: number;
  seed: number;
  /** Outcome label → cases (counted until the first failure; shrinking is not counted). */
  counts: Map<string, number>;
  milliseconds: number;
  /** fast-check's report (counterexample, seed and path to replay it) when a property failed. */
  failure: string | undefined;
}

export interface FuzzRunOptions {
  numRuns: number;
  seed?: number;
  /** Replays one case: the `path` fast-check printed with the failure. */
  path?: string;
}

export async function runFuzzTarget<T>(target: FuzzTarget<T>, options: FuzzRunOptions): Promise<FuzzRun> {
  const counts = new Map<string, number>();
  let failed = false;
  const started = performance.now();
  const details = await fc.check(
    fc.asyncProperty(target.arbitrary, async (input) => {
      try {
        const labels = await target.check(input);
        if (!failed) for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
      } catch (error) {
        failed = true;
        throw error;
      }
    }),
    {
      numRuns: options.numRuns,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.path === undefined ? {} : { path: options.path }),
      // Shrinking a case through a host is slow; a bounded number of shrinks keeps a failure readable.
      endOnFailure: false,
      interruptAfterTimeLimit: 30 * 60_000,
    },
  );
  return {
    target: target.name,
    runs: details.numRuns,
    seed: details.seed,
    counts,
    milliseconds: Math.round(performance.now() - started),
    failure: details.failed ? `${String(details.errorInstance)}\n${fc.defaultReportMessage(details) ?? ''}` : undefined,
  };
}

/** `finding 120, input error 80` sorted by count, for logs and the fuzz script. */
export function formatCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts]
    .sort((left, right) => right[1] - left[1] || left[0].localeCompare(right[0]))
    .map(([label, count]) => `${label} ${count}`)
    .join(', ');
}
