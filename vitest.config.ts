import { availableParallelism } from 'node:os';

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
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
  },
});
