/**
 * `npm run demo` right after `npm ci` (whose `prepare` built everything) rebuilt the whole project
 * for ~40 s (issue 17). The build is `tsc --build` over an incremental tsconfig.build.json: with its
 * build info next to the outputs it checks up-to-dateness from the build info and stops there when
 * nothing changed (TypeScript handbook "Project References", `tsc -b`: "Detect if each project is
 * up to date"; tsconfig reference `tsBuildInfoFile`). The info lives in dist/, so removing dist/
 * rebuilds everything instead of trusting stale info.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { projectRoot } from '../harness/fixtures.js';

const read = (file: string) => JSON.parse(readFileSync(path.join(projectRoot, file), 'utf8')) as Record<string, unknown>;

describe('build scripts', () => {
  it('build (and so demo, bench, bundle) is an incremental tsc --build whose build info sits in dist/', () => {
    const scripts = read('package.json')['scripts'] as Record<string, string>;
    expect(scripts['build']).toMatch(/^tsc -b tsconfig\.build\.json && /);
    expect(scripts['demo']).toMatch(/^npm run build && /);
    const options = read('tsconfig.build.json')['compilerOptions'] as Record<string, unknown>;
    expect(options['incremental']).toBe(true);
    expect(String(options['tsBuildInfoFile'])).toMatch(/^dist\//);
  });
});
