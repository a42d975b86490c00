/**
 * The vendored bicep-types-az definitions (test/fixtures/bicep-types/): each file names its source
 * file and commit, is the trimmed form tooling/bicep/typesMd.ts derives from that source, and together
 * they cover every (type, api-version) the templates use plus those issue 14/15 work adds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseTypesMd, type TrimSpec, trimTypesMd } from '../../../tooling/bicep/typesMd.js';
import { BICEP_TYPES_DIR, readInfra, vendoredTypes } from './templates.js';

interface SourceEntry {
  readonly repo: string;
  readonly path: string;
  readonly commit: string;
  readonly trim?: TrimSpec;
}

const sources = JSON.parse(readFileSync(path.join(BICEP_TYPES_DIR, 'SOURCES.json'), 'utf8')) as Record<string, SourceEntry | string>;
const entries = Object.entries(sources).filter((entry): entry is [string, SourceEntry] => typeof entry[1] !== 'string');
const read = (file: string) => readFileSync(path.join(BICEP_TYPES_DIR, file), 'utf8');

/** Pairs expected beside those the templates use today: the least-privilege and hardening work of issues 14/15. */
const EXPECTED_PAIRS = [
  'Microsoft.Authorization/roleDefinitions@2022-04-01',
  'Microsoft.Authorization/roleAssignments@2022-04-01',
  'Microsoft.Insights/diagnosticSettings@2021-05-01-preview',
  'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01',
  'Microsoft.Storage/storageAccounts/tableServices@2023-05-01',
  'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01',
  'Microsoft.Storage/storageAccounts/queueServices@2023-05-01',
  'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01',
  'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31',
  'Microsoft.Network/privateEndpoints@2023-11-01',
];

describe('vendored Azure/bicep-types-az definitions', () => {
  it('name the source file and a full commit for every vendored file, and nothing else', () => {
    const files = readdirSync(BICEP_TYPES_DIR).filter((file) => file.endsWith('.md'));
    expect(entries.map(([file]) => file).sort()).toEqual(files.sort());
    for (const [file, entry] of entries) {
      expect(entry.repo, file).toBe('Azure/bicep-types-az');
      expect(entry.path, file).toMatch(/^generated\/[a-z]+\/microsoft\.[a-z]+\/\d{4}-\d{2}-\d{2}(-preview)?\/types\.md$/);
      expect(entry.commit, file).toMatch(/^[0-9a-f]{40}$/);
    }
  });

  it('derive from the source: trimming the verbatim authorization types.md gives the vendored file byte for byte', () => {
    const spec = sources['authorization-2022-04-01.types.md'] as SourceEntry;
    expect(trimTypesMd(read('authorization-2022-04-01.full.types.md'), spec.trim!)).toBe(read('authorization-2022-04-01.types.md'));
  });

  it.each(entries.filter(([, entry]) => entry.trim))('%s is already in trimmed form: trimming it again keeps every section and property', (file, entry) => {
    const text = read(file);
    const again = parseTypesMd(trimTypesMd(text, entry.trim!));
    const once = parseTypesMd(text);
    expect([...again.resources.keys()]).toEqual(entry.trim!.resources);
    expect(again).toEqual(once);
  });

  it('cover every (type, api-version) the templates declare, and the ones issue 14/15 work adds', () => {
    const used = readInfra().flatMap((file) => file.resources.map((resource) => `${resource.type}@${resource.apiVersion}`));
    for (const pair of new Set([...used, ...EXPECTED_PAIRS])) expect([...vendoredTypes.keys()], pair).toContain(pair);
  });
});
