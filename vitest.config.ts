import { availableParallelism } from 'node:os';

import { defineConfig } from 'vitest/config';

/**
 * Test files that keep a process to themselves: the end-to-end files (they set the app's settings
 * for the whole process, time a cold start, or depend on what a first invocation sees) and the
 * files that start the whole app (startAppHost, the fuzz targets), load a functions entry
 * (LocalFunctionsHost.load) or rehearse rollouts on the durable host (registered functions, settings
 * and long virtual-clock runs). A new test file that does any of these belongs here too.
 */
const ownProcess = [
  // Its drains race a 500 ms send deadline: a worker that ran other files before it (their leftover
  // sockets and timers on the event loop) made a healthy Slack send late twice in two shared runs.
  'test/integration/alertChaos.test.ts',
  'test/contract/eventGridSamples.test.ts',
  'test/fuzz/eventFunctions.test.ts',
  'test/fuzz/httpApi.test.ts',
  // Loads the functions entry and runs the in-cluster orchestration on the durable host.
  'test/integration/inClusterFanout.test.ts',
  // Loads the functions entry and runs the sweep fan-out on the durable host.
  'test/integration/fleetSweepFanout.test.ts',
  'test/integration/rollout*.test.ts',
  'test/security/events.test.ts',
  'test/security/principals.test.ts',
  'test/security/requests.test.ts',
  // Loads a functions entry of its own: @azure/functions keeps the first host it met for the process.
  'test/unit/local/durableHost.test.ts',
  'test/e2e/pagerDutyRoundTrip.test.ts',
  'test/e2e/slackAppRoundTrip.test.ts',
];

export default defineConfig({
  test: {
    globalSetup: ['test/harness/globalSetup.ts'],
    pool: 'forks',
    // One worker per core (vitest's default leaves one core to its main process: a single worker on
    // 2 cores). Most test time is spent waiting on loopback servers, the durable host's HTTP calls
    // and CLI child processes, so a second worker fills the idle core. Measured on the shared 2-core
    // machine, two runs each of a 150-test subset (contract, fuzz, CLI e2e): 221 s → 168 s wall, same CPU time.
    maxWorkers: availableParallelism(),
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The Functions library and the SDKs must load through Node itself, so the harness can
    // supply @azure/functions-core the way the worker does.
    server: { deps: { external: [/node_modules/] } },
    // Two projects over the test files (each file in exactly one; `include` lives in the projects only,
    // since `extends: true` would concatenate a root `include` with each project's).
    projects: [
      {
        // Files that run one after another in a long-lived worker (`isolate: false`): the worker
        // boots, loads the SDKs and transforms lib/ once instead of once per file (about 0.6 s of
        // CPU a file, more for files that load the SDKs). These files mock nothing and leave no
        // globals behind; sharedWorkerFile.ts puts back the environment settings a file wrote.
        extends: true,
        test: {
          name: 'shared',
          include: ['test/{unit,contract,security,fuzz,integration}/**/*.test.ts'],
          exclude: ownProcess,
          isolate: false,
          setupFiles: ['test/harness/sharedWorkerFile.ts'],
        },
      },
      {
        // A fresh process for each of these files (vitest's default).
        extends: true,
        test: { name: 'isolated', include: ['test/e2e/**/*.test.ts', ...ownProcess], isolate: true },
      },
    ],
  },
});
