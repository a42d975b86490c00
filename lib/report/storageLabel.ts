/**
 * How the report names the storage it read ("no sweep has run yet against …"): the account or the
 * Table endpoint, never a key. A connection string's `AccountKey` and `SharedAccessSignature` are
 * secrets; only `TableEndpoint` or `AccountName` are read from it.
 */
import type { StorageTarget } from '../config.js';

function connectionStringPart(connectionString: string, name: string): string | undefined {
  for (const part of connectionString.split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim().toLowerCase() === name.toLowerCase()) return part.slice(separator + 1).trim();
  }
  return undefined;
}

/** The storage in words, without secrets: "storage account fleetguard", a Table endpoint, or Azurite's development storage. */
export function storageLabel(target: StorageTarget): string {
  if (target.kind === 'tableServiceUrl') return `Table storage ${target.url} (${target.setting})`;
  if (/^\s*UseDevelopmentStorage=true\s*$/i.test(target.connectionString)) return 'the local development storage (UseDevelopmentStorage=true)';
  const endpoint = connectionStringPart(target.connectionString, 'TableEndpoint');
  if (endpoint !== undefined && endpoint !== '') return `Table storage ${endpoint} (${target.setting})`;
  const account = connectionStringPart(target.connectionString, 'AccountName');
  return `storage account ${account ?? '(unnamed)'} (${target.setting})`;
}
