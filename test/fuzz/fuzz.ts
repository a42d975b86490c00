/**
 * `npm run fuzz`: the property targets of test/fuzz with many cases each (the CI suite runs a few
 * hundred). Prints per target the cases run, the outcomes counted, the time and any failure with
 * the seed and path that replay it; exits 1 when a property failed. A script, not a test.
 *
 *   node dist/test/fuzz/fuzz.js [--runs 10000] [--seed N] [--target posture|events|http]... [--path P]
 */
import { parseArgs } from 'node:util';

import { startAzuriteTables } from '../../tooling/simulator/azurite.js';
import { eventTarget } from './eventTarget.js';
import { startFuzzApp } from './fuzzApp.js';
import { formatCounts, type FuzzRun, type FuzzTarget, runFuzzTarget } from './fuzzTarget.js';
import { httpTarget } from './httpTarget.js';
import { startPostureTarget } from './postureTarget.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    seed: { type: 'string' },
    path: { type: 'string' },
    target: { type: 'string', multiple: true },
  },
});
const numRuns = Number(values.runs);
if (!Number.isInteger(numRuns) || numRuns < 1) throw new Error(`--runs: expected a positive integer, got ${values.runs}`);
const seed = values.seed === undefined ? Date.now() ^ (Math.random() * 0x100000000) : Number(values.seed);
const selected = new Set(values.target ?? ['posture', 'events', 'http']);

function report(run: FuzzRun): void {
  console.log(
    `\n${run.target}: ${run.runs} cases in ${(run.milliseconds / 1000).toFixed(1)} s (${(run.milliseconds / Math.max(1, run.runs)).toFixed(1)} ms/case), seed ${run.seed}`,
  );
  console.log(`  outcomes: ${formatCounts(run.counts)}`);
  console.log(run.failure === undefined ? '  failures: none' : `  FAILED:\n${run.failure.replace(/^/gm, '    ')}`);
}

async function runOne<T>(target: FuzzTarget<T>): Promise<FuzzRun> {
  const run = await runFuzzTarget(target, { numRuns, seed, ...(values.path === undefined ? {} : { path: values.path }) });
  report(run);
  return run;
}

const runs: FuzzRun[] = [];
const started = performance.now();
console.log(`fuzzing ${[...selected].join(', ')} with ${numRuns} cases per target, seed ${seed}`);
if (selected.has('posture')) {
  const posture = await startPostureTarget();
  try {
    runs.push(await runOne(posture));
  } finally {
    await posture.close();
  }
}
if (selected.has('events') || selected.has('http')) {
  const azurite = await startAzuriteTables();
  const app = await startFuzzApp(azurite.connectionString);
  try {
    if (selected.has('events')) runs.push(await runOne(eventTarget(app)));
    if (selected.has('http')) runs.push(await runOne(httpTarget(app)));
  } finally {
    await app.close();
    await azurite.close();
  }
}
const failed = runs.filter((run) => run.failure !== undefined);
console.log(
  `\n${runs.reduce((sum, run) => sum + run.runs, 0)} cases in ${((performance.now() - started) / 1000).toFixed(1)} s; ${failed.length === 0 ? 'no property failed' : `FAILED: ${failed.map((run) => run.target).join(', ')}`}`,
);
// Open handles (SDK keep-alive sockets) must not keep a finished run alive.
process.exit(failed.length === 0 ? 0 : 1);
