/**
 * Property tests: every HTTP function, invoked as the host invokes it by an authorized caller, on
 * malformed ids, bodies and principal headers. `npm run fuzz` runs the same target with 10,000 cases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { azuriteConnectionString } from '../harness/tables.js';
import { type FuzzApp, startFuzzApp } from './fuzzApp.js';
import { formatCounts, type FuzzTarget, runFuzzTarget } from './fuzzTarget.js';
import { type HttpInput, httpTarget } from './httpTarget.js';

describe('HTTP API fuzzing', () => {
  let app: FuzzApp;
  let target: FuzzTarget<HttpInput>;
  beforeAll(async () => {
    app = await startFuzzApp(azuriteConnectionString());
    target = httpTarget(app);
  });
  afterAll(() => app.close());

  it('never answers 5xx; 400s name the field; nothing starts a rollout but a valid create', async () => {
    const run = await runFuzzTarget(target, { numRuns: Number(process.env['FUZZ_RUNS'] ?? 150) });
    console.log(`http api: ${run.runs} cases in ${run.milliseconds} ms (seed ${run.seed}): ${formatCounts(run.counts)}`);
    expect(run.failure).toBeUndefined();
    expect([...run.counts.keys()]).toEqual(expect.arrayContaining(['200', '400', '404']));
  });

  it('regression: a principal header with a null claim is read (the null skipped), not a 500', async () => {
    const header = Buffer.from(JSON.stringify({ claims: [null, 7, { typ: 'roles', val: 'Rollouts.Read' }] })).toString('base64');
    const response = await app.host.invokeHttp('rolloutsList', { method: 'GET', path: '/api/rollouts', headers: { 'x-ms-client-principal': header } });
    expect(response.status).toBe(200);
  });
});
