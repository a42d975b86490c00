import { beforeDrain } from '../alerts/digests.js';
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
  if (clients.alerts !== undefined) {
    const before = await beforeDrain(clients.alerts, config.alerts, clients.alertStore, new Date());
    for (const digest of before.sent)
      log.info(`alert digest of route ${digest.route} for ${digest.occurrence}: ${digest.alerts} alerts in ${digest.messages} messages`);
    for (const error of before.errors) log.warn(`alert drain degraded: ${error}`);
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
