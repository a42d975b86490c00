/**
 * The infra/ files as the infra tests read them: every Bicep file under infra/ (read by the strict
 * reader in tooling/bicep), the parameters files, and the vendored bicep-types-az definitions.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { packageRoot } from '../../../lib/packageRoot.js';
import { type BicepFile, readBicep } from '../../../tooling/bicep/bicepReader.js';
import { loadVendoredTypes } from '../../../tooling/bicep/schemaCheck.js';

export const root = packageRoot();
export const BICEP_TYPES_DIR = path.join(root, 'test/fixtures/bicep-types');

export function readText(file: string): string {
  return readFileSync(path.join(root, file), 'utf8');
}

/** Every `*.bicep` under a directory, relative to the package root, sorted. */
export function bicepFilesUnder(directory: string): string[] {
  const found: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.bicep')) found.push(child);
    }
  };
  walk(directory);
  return found.sort();
}

/** All infra Bicep files, read; `replace` swaps a file's text (seeded mistakes in a copy). */
export function readInfra(replace: Readonly<Record<string, string>> = {}): BicepFile[] {
  return bicepFilesUnder('infra').map((file) => readBicep(replace[file] ?? readText(file), file));
}

/** The parameters files a user deploys with: the repository's example and infra/examples/. */
export function parametersFiles(): string[] {
  const examples = readdirSync(path.join(root, 'infra/examples'))
    .filter((name) => name.endsWith('.parameters.json'))
    .map((name) => `infra/examples/${name}`);
  return ['infra/main.parameters.json', ...examples.sort()];
}

export function readParameters(file: string, text = readText(file)): Record<string, unknown> {
  const parsed = JSON.parse(text) as { parameters: Record<string, { value: unknown }> };
  return Object.fromEntries(Object.entries(parsed.parameters).map(([name, entry]) => [name, entry.value]));
}

export const vendoredTypes = loadVendoredTypes(BICEP_TYPES_DIR);

/** Replaces `from` (which must occur) in `text`: a seeded mistake that silently did nothing would prove nothing. */
export function seed(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`seeded mistake: ${JSON.stringify(from)} is not in the template any more`);
  return text.replace(from, to);
}
