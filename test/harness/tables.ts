import { randomBytes } from 'node:crypto';

import { TableClient } from '@azure/data-tables';
import { inject } from 'vitest';

/** A table name no other test uses (tests share one Azurite). */
export function uniqueTableName(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export function azuriteConnectionString(): string {
  return inject('azuriteConnectionString');
}

export function azuriteTable(name: string): TableClient {
  return TableClient.fromConnectionString(azuriteConnectionString(), name, { allowInsecureConnection: true });
}
