/** An Event Grid delivery as the functions receive it: handled, logged with its id and type. */
import { describeRawEvent } from '../events/eventEnvelope.js';
import { type EventFamily, type EventOutcome, handleEvent } from '../events/handleEvent.js';
import type { NoticeStore } from '../events/noticeStore.js';
import type { FleetReader } from '../sweep/fleetReader.js';
import { getStoredRuntime } from './runtime.js';
import type { FunctionLogger } from './scheduledSweep.js';

/**
 * With FLEETGUARD_SUBSCRIPTIONS empty, the scope is every subscription the identity can list, as
 * for the sweep. The list is kept this long; a subscription missing from an older list is looked
 * up again (a new one counts within a minute), so a flood of foreign ids costs one list a minute.
 */
const SUBSCRIPTION_LIST_MAX_AGE_MS = 15 * 60_000;
const SUBSCRIPTION_LIST_RECHECK_MS = 60_000;

/** Per fleet reader (one per worker runtime, rebuilt when a local host resets it). */
const listedSubscriptions = new WeakMap<FleetReader, { at: number; ids: Promise<Set<string>> }>();

/** Whether events about `subscriptionId` are acted on: see {@link SUBSCRIPTION_LIST_MAX_AGE_MS}. */
export function subscriptionScope(
  configured: readonly string[],
  fleet: FleetReader,
  now: () => number = Date.now,
): (subscriptionId: string) => Promise<boolean> {
  if (configured.length > 0) {
    const allowed = new Set(configured.map((id) => id.toLowerCase()));
    return (subscriptionId) => Promise.resolve(allowed.has(subscriptionId.toLowerCase()));
  }
  const list = () => {
    const entry = {
      at: now(),
      ids: fleet.listSubscriptionIds().then((ids) => new Set(ids.map((id) => id.toLowerCase()))),
    };
    listedSubscriptions.set(fleet, entry);
    // A failed list is not kept: the next event asks again (this one fails and is retried).
    entry.ids.catch(() => {
      if (listedSubscriptions.get(fleet) === entry) listedSubscriptions.delete(fleet);
    });
    return entry;
  };
  return async (subscriptionId) => {
    const id = subscriptionId.toLowerCase();
    let entry = listedSubscriptions.get(fleet);
    if (entry === undefined || now() - entry.at > SUBSCRIPTION_LIST_MAX_AGE_MS) entry = list();
    if ((await entry.ids).has(id)) return true;
    if (now() - entry.at > SUBSCRIPTION_LIST_RECHECK_MS) return (await list().ids).has(id);
    return false;
  };
}

export async function processDeliveredEvent(raw: unknown, family: EventFamily, log: FunctionLogger): Promise<EventOutcome> {
  const { config, clients } = await getStoredRuntime();
  const result = await handleEvent(raw, family, {
    notices: clients.notices,
    findings: clients.findings,
    clusters: clients.containerService,
    policy: clients.policyInsights,
    ...(clients.alerts ? { alerts: clients.alerts } : {}),
    inScope: subscriptionScope(config.subscriptions, clients.fleet),
    processedRowsPerTopicHour: config.events.processedRowsPerTopicHour,
    now: () => new Date(),
  });
  const what = result.eventId === undefined ? describeRawEvent(raw) : `id ${result.eventId}, type ${result.eventType ?? '?'}`;
  const line = `event ${what}: ${result.status}: ${result.message}`;
  if (result.status === 'rejected' || result.status === 'failed') log.warn(`${line} (completed without retry)`);
  else log.info(line);
  return result;
}

/**
 * The processed-event rows' expiry, run by the fleetSweep timer (every 15 minutes by default):
 * see {@link NoticeStore.expireProcessed}. A failure is logged, never fails the sweep.
 */
export async function expireProcessedEvents(notices: Pick<NoticeStore, 'expireProcessed'>, log: FunctionLogger, now = new Date()): Promise<void> {
  try {
    const deleted = await notices.expireProcessed(now);
    if (deleted > 0) log.info(`event bookkeeping: ${deleted} expired processed-event rows deleted`);
  } catch (error) {
    log.warn(`event bookkeeping: expired processed-event rows not deleted this time: ${(error as Error).message}`);
  }
}
