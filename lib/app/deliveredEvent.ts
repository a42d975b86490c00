/** An Event Grid delivery as the functions receive it: handled, logged with its id and type. */
import { describeRawEvent } from '../events/eventEnvelope.js';
import { type EventFamily, type EventOutcome, handleEvent } from '../events/handleEvent.js';
import { getStoredRuntime } from './runtime.js';
import type { FunctionLogger } from './scheduledSweep.js';

export async function processDeliveredEvent(raw: unknown, family: EventFamily, log: FunctionLogger): Promise<EventOutcome> {
  const { clients } = await getStoredRuntime();
  const result = await handleEvent(raw, family, {
    notices: clients.notices,
    findings: clients.findings,
    clusters: clients.containerService,
    policy: clients.policyInsights,
    ...(clients.alerts ? { alerts: clients.alerts } : {}),
    now: () => new Date(),
  });
  const what = result.eventId === undefined ? describeRawEvent(raw) : `id ${result.eventId}, type ${result.eventType ?? '?'}`;
  const line = `event ${what}: ${result.status}: ${result.message}`;
  if (result.status === 'rejected' || result.status === 'failed') log.warn(`${line} (completed without retry)`);
  else log.info(line);
  return result;
}
