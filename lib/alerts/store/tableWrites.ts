/**
 * What the alert stores share: receiver names hashed into keys (table keys forbid some
 * characters), partitioned batch writes within the Tables transaction limits, and status checks.
 */
import { createHash } from 'node:crypto';

import type { TableClient, TransactionAction } from '@azure/data-tables';
import pLimit from 'p-limit';

/** A receiver name or cluster key as it appears in table keys. */
export function keyHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

/** Partitions written at once (transactions of up to 100 rows each). */
const WRITE_CONCURRENCY = 8;

/**
 * Property text per transaction. Azure Tables refuses a transaction over 4 MiB, and 100 outbox
 * rows near the 27,000-character message budget, JSON-escaped, come close to it; smaller batches
 * also bound what the SDK holds serialized in memory.
 */
const TRANSACTION_CHARACTERS = 1_000_000;

function entityCharacters(action: TransactionAction): number {
  let characters = 0;
  for (const value of Object.values(action[1])) characters += typeof value === 'string' ? value.length : 16;
  return characters;
}

/** Splits one partition's actions into transactions: at most 100 rows and about 1 MB of text each. */
export function transactions(actions: readonly TransactionAction[]): TransactionAction[][] {
  const batches: TransactionAction[][] = [];
  let batch: TransactionAction[] = [];
  let characters = 0;
  for (const action of actions) {
    const size = entityCharacters(action);
    if (batch.length === 100 || (batch.length > 0 && characters + size > TRANSACTION_CHARACTERS)) {
      batches.push(batch);
      batch = [];
      characters = 0;
    }
    batch.push(action);
    characters += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Appends in place: rebuilding the partition's array per row made grouping quadratic. */
export function addTo<T>(byPartition: Map<string, T[]>, partitionKey: string, item: T): void {
  const items = byPartition.get(partitionKey);
  if (items === undefined) byPartition.set(partitionKey, [item]);
  else items.push(item);
}

/**
 * Writes each partition's rows in transactions, partitions side by side. A partition's rows become
 * table entities only when its turn comes, so a run of tens of thousands of rows never has them
 * all serialized at once.
 */
export async function submitAll<T>(table: TableClient, byPartition: Map<string, T[]>, toAction: (item: T) => TransactionAction): Promise<void> {
  const limit = pLimit(WRITE_CONCURRENCY);
  await Promise.all(
    [...byPartition.values()].map((items) =>
      limit(async () => {
        for (const batch of transactions(items.map(toAction))) await table.submitTransaction(batch);
      }),
    ),
  );
}

export function isStatus(error: unknown, ...statuses: number[]): boolean {
  return statuses.includes((error as { statusCode?: number }).statusCode ?? -1);
}
