/**
 * Derives one vendored file in test/fixtures/bicep-types/ from its source, as SOURCES.json records it:
 *
 *   node dist/tooling/bicep/trimTypesMdCli.js <full types.md from the recorded commit> <fixture file name>
 *
 * Add a section to the fixture by adding its name to the entry's `trim` in SOURCES.json and running this
 * on the source file (fetched from Azure/bicep-types-az at the entry's path and commit).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { packageRoot } from '../../lib/packageRoot.js';
import { type TrimSpec, trimTypesMd } from './typesMd.js';

const [source, fixture] = process.argv.slice(2);
if (!source || !fixture) {
  process.stderr.write('usage: trimTypesMdCli <full types.md> <fixture file name>\n');
  process.exit(2);
}
const directory = path.join(packageRoot(), 'test/fixtures/bicep-types');
const sources = JSON.parse(readFileSync(path.join(directory, 'SOURCES.json'), 'utf8')) as Record<string, { trim?: TrimSpec }>;
const spec = sources[fixture]?.trim;
if (!spec) {
  process.stderr.write(`${fixture} has no trim entry in SOURCES.json\n`);
  process.exit(2);
}
writeFileSync(path.join(directory, fixture), trimTypesMd(readFileSync(source, 'utf8'), spec));
process.stdout.write(`wrote ${fixture}\n`);
