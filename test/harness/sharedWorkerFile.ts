/**
 * Setup file of the `shared` project (vitest.config.ts), whose test files run one after another in
 * the same worker process without a fresh module graph (`isolate: false`). Each file starts from the
 * environment the worker had before it: settings a file wrote (the app host and the rehearsals write
 * the simulator's settings into `process.env`, as Azure writes app settings) are put back after it,
 * and the configuration parsed from them is forgotten, so no file sees another file's settings.
 */
import { afterAll } from 'vitest';

import { forgetConfigForLocalHost } from '../../lib/config.js';
import { LocalFunctionsHost } from '../../tooling/local/functionsHost.js';

const environment = { ...process.env };

afterAll(() => {
  for (const name of Object.keys(process.env)) if (!(name in environment)) delete process.env[name];
  Object.assign(process.env, environment);
  forgetConfigForLocalHost();
  // The functions entry registers once per process, so its host (and its log) outlives the file.
  LocalFunctionsHost.forgetLogs();
});
