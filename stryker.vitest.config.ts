/**
 * The vitest configuration `npm run mutate` (StrykerJS) runs: only the tests that drive the rollout
 * machinery in-process, so a mutation run over lib/upgrades finishes in reasonable time. E2E tests
 * that run the compiled dist/ are left out: they would never see a mutant. The other settings are
 * vitest.config.ts's (not merged: mergeConfig would concatenate the `include` lists).
 */
import { defineConfig } from 'vitest/config';

import base from './vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // One run over the files below, not the suite's projects.
    projects: undefined,
    // Instrumented code on shared cores runs a few times slower than the suite's own budget allows.
    testTimeout: 180_000,
    // rolloutChaos.test.ts (50 crash seeds) is left out: instrumented, it alone outlasts a mutant's time budget.
    include: [
      'test/unit/upgrades/**/*.test.ts',
      'test/integration/rolloutRehearsal.test.ts',
      'test/integration/rolloutSafetyExits.test.ts',
      'test/integration/rolloutAbort.test.ts',
    ],
  },
});
