import { flushDigests } from '../alerts/digests.js';
import { DEFAULT_DRAIN_OPTIONS, drainOutbox, type DrainResult } from '../alerts/outboxDrain.js';
import { httpsPost } from '../alerts/transport.js';
import { getStoredRuntime } from './runtime.js';
import type { FunctionLogger } from './scheduledSweep.js';

/** The `alertDrain` timer: sends what the outbox holds, logs what happened (never a secret). */
export async function runScheduledDrain(log: FunctionLogger): Promise<DrainResult | undefined> {
  const { config, clients } = await getStoredRuntime();
  if (config.alerts === undefined || clients.alertStore === undefined) {
    log.info('alerting is not configured (FLEETGUARD_ALERT_ROUTES); nothing to drain');
    return undefined;
  }
  await clients.alertStore.ensureTable();
  // Before sending: resolves held by a mute that has ended, and digests that are due, join the
  // outbox. Either failing leaves its rows for the next drain and must not stop this one.
  const now = new Date();
  try {
    if (clients.alerts !== undefined) await clients.alerts.releaseHeld(now);
  } catch (error) {
    log.warn(`alert drain degraded: releasing resolves held by a mute: ${(error as Error).message}`);
  }
  try {
    for (const digest of (await flushDigests(config.alerts, clients.alertStore, now)).sent)
      log.info(`alert digest of route ${digest.route} for ${digest.occurrence}: ${digest.alerts} alerts in ${digest.messages} messages`);
  } catch (error) {
    log.warn(`alert drain degraded: ${(error as Error).message}`);
  }
  const result = await drainOutbox(clients.alertStore, config.alerts, httpsPost, {
    ...DEFAULT_DRAIN_OPTIONS,
    now: () => new Date(),
    ...(config.alertDelivery.endpointOverride === undefined ? {} : { endpointOverride: config.alertDelivery.endpointOverride }),
    ...(config.azure.kind === 'simulator' ? { caPem: config.azure.caPem } : {}),
  });
  log.info(
    `alert drain: ${result.sent} sent, ${result.retried} to retry, ${result.failed} failed, ${result.uncertain} uncertain, ${result.resent} resent after an interruption`,
  );
  for (const error of result.errors) log.warn(`alert drain degraded: ${error}`);
  return result;
}
