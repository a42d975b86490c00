import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/globalSetup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The Functions library and the SDKs must load through Node itself, so the harness can
    // supply @azure/functions-core the way the worker does.
    server: { deps: { external: [/node_modules/] } },
  },
});
