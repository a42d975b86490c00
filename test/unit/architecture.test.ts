/**
 * The dependency rules of the tree (.dependency-cruiser.cjs), checked in the suite as `npm run
 * depcheck` checks them in lint: no import cycle between folders under lib/, adapters import no
 * feature, the composition root only from the edges, no runtime module importing local tooling.
 */
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';

describe('architecture', () => {
  it('keeps every dependency rule of .dependency-cruiser.cjs', async () => {
    const options = await extractDepcruiseOptions('./.dependency-cruiser.cjs');
    const reported = await cruise(['lib', 'functions'], { ...options, validate: true }, {}, { tsConfig: extractTSConfig('tsconfig.json') });
    const result = reported.output as ICruiseResult;
    const violations = result.summary.violations.map(
      (violation) =>
        `${violation.rule.name}: ${[violation.from, ...(violation.cycle === undefined ? [violation.to] : violation.cycle.map((step) => step.name))].join(' → ')}`,
    );
    expect(violations).toEqual([]);
    // The rules must be looking at the tree, not at nothing.
    expect(result.summary.totalCruised).toBeGreaterThan(100);
  });
});
