/**
 * The vitest configuration of `npx stryker run stryker.unit.config.json`: only the unit tests of
 * lib/upgrades (milliseconds each), for the pure modules (plan, advance, health, maintenance windows).
 * Its score is a lower bound for those files: a survivor here may still be killed by a rehearsal test
 * of the full run (`npm run mutate`), which takes hours on 2 cores.
 */
import { defineConfig } from 'vitest/config';

import base from './vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // One run over the files below, not the suite's projects.
    projects: undefined,
    include: ['test/unit/upgrades/**/*.test.ts'],
  },
});
