/**
 * Sending digests: at the first drain at or after a digest route's scheduled local time, what the
 * route buffered becomes one `PlannedNotification` (the vendor's renderer splits a large one) and
 * goes to the outbox. One digest per occurrence even with drains racing: a flush first claims the
 * occurrence on the route's schedule row under its ETag, and only the winner sends. Nothing is
 * lost if the enqueue fails: the buffer stays and the claim expires after `leaseMs`, so a later
 * drain sends it (after a crash between the enqueue and the bookkeeping, possibly twice: the
 * outbox's at-least-once, never a loss).
 */
import { toFleetGuardError } from '../errors.js';
import type { PlannedNotification } from './alert.js';
import type { AlertingConfig } from './alertingConfig.js';
import type { AlertPipeline } from './alertPipeline.js';
import type { AlertStore } from './alertStore.js';
import { latestOccurrence } from './digestSchedule.js';
import { alertOrder } from './planner.js';
import { renderNotification } from './vendors/index.js';

/** A claim older than this is taken over (a flush that died after claiming). */
export const DIGEST_CLAIM_LEASE_MS = 10 * 60_000;

export interface DigestFlushResult {
  /** Routes whose digest went to the outbox, with the occurrence. */
  sent: Array<{ route: string; occurrence: string; alerts: number; messages: number }>;
}

export async function flushDigests(config: AlertingConfig, store: AlertStore, now: Date, leaseMs = DIGEST_CLAIM_LEASE_MS): Promise<DigestFlushResult> {
  const sent: DigestFlushResult['sent'] = [];
  for (const route of config.routes) {
    if (route.digest === undefined) continue;
    const receiver = config.receivers.get(route.receiver);
    if (receiver === undefined) continue;
    try {
      const occurrence = latestOccurrence(route.digest, now);
      if (occurrence === undefined) continue;
      const { rows, schedule } = await store.digests.buffered(route.name);
      if (schedule !== undefined && schedule.done >= occurrence) continue;
      // Only what was buffered before this occurrence makes it due (a first alert after 09:00 waits for the next one).
      if (!rows.some((row) => row.after < occurrence)) continue;
      const claimedRecently = schedule !== undefined && schedule.claimed !== '' && now.getTime() - Date.parse(schedule.claimedAt) < leaseMs;
      if (claimedRecently) continue;
      const etag = await store.digests.claim(route.name, occurrence, now, schedule);
      if (etag === undefined) continue;
      const notification: PlannedNotification = {
        route: route.name,
        receiver: route.receiver,
        groupKey: `digest ${occurrence} ${route.digest.location}`,
        alerts: rows.map((row) => row.alert).sort(alertOrder),
      };
      const messages = renderNotification(notification, receiver).map((message) => ({ receiver: receiver.name, route: route.name, message }));
      const written = await store.enqueue(messages, now);
      await store.digests.complete(route.name, occurrence, etag);
      await store.digests.remove(rows);
      sent.push({ route: route.name, occurrence, alerts: rows.length, messages: written });
    } catch (error) {
      throw toFleetGuardError(error, `sending the digest of route ${route.name}`);
    }
  }
  return { sent };
}

/**
 * What a drain does before sending: resolves held by a mute that has ended, and digests that are
 * due, join the outbox. A failure of either is reported, not thrown: its rows stay for the next
 * drain, and this drain still sends what the outbox holds.
 */
export async function beforeDrain(
  pipeline: AlertPipeline,
  config: AlertingConfig,
  store: AlertStore,
  now: Date,
): Promise<DigestFlushResult & { errors: string[] }> {
  const errors: string[] = [];
  try {
    await pipeline.releaseHeld(now);
  } catch (error) {
    errors.push(`releasing resolves held by a mute: ${toFleetGuardError(error, 'releasing held resolves').message}`);
  }
  try {
    return { ...(await flushDigests(config, store, now)), errors };
  } catch (error) {
    errors.push(toFleetGuardError(error, 'sending digests').message);
    return { sent: [], errors };
  }
}
