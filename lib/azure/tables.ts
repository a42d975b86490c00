import type { TokenCredential } from '@azure/core-auth';
import { TableClient } from '@azure/data-tables';

import type { StorageTarget } from '../config.js';
import { toFleetGuardError } from '../errors.js';
import type { RetrySettings } from './clientOptions.js';

/**
 * A client for one table: a connection string (Azurite, keys) or the account URL with the app's
 * identity. `retry` is the app's retry setting, so storage that is down fails within the same
 * bounds as every other call instead of the SDK's own (longer) back-off.
 */
export function createTableClient(storage: StorageTarget, tableName: string, credential: TokenCredential, retry?: RetrySettings): TableClient {
  const options = retry === undefined ? {} : { retryOptions: retry };
  if (storage.kind === 'connectionString') {
    const insecure = /TableEndpoint=http:\/\//i.test(storage.connectionString) || storage.connectionString === 'UseDevelopmentStorage=true';
    return TableClient.fromConnectionString(storage.connectionString, tableName, { ...options, allowInsecureConnection: insecure });
  }
  return new TableClient(storage.url, tableName, credential, options);
}

/** Creates the table if it is missing (the SDK treats "already exists" as success). */
export async function ensureTable(table: TableClient): Promise<void> {
  try {
    await table.createTable();
  } catch (error) {
    throw toFleetGuardError(error, `creating table ${table.tableName}`);
  }
}
