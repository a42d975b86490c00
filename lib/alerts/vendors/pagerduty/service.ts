/**
 * What PagerDuty's Events API v2 accepts and answers, for the local sink and the conformance tests
 * (developer.pagerduty.com/docs/events-api-v2/trigger-events): events are POSTed to `/v2/enqueue`
 * and accepted with 202 `{"status":"success","message":"Event processed","dedup_key"}`; a trigger
 * for a `dedup_key` whose incident is open is merged into it, a resolve closes it.
 */
import { jsonAnswer, type ServiceRequest, type VendorService } from '../vendor.js';

export const PAGERDUTY_EVENTS_PATH = '/v2/enqueue';

function event(request: ServiceRequest): { event_action?: unknown; dedup_key?: unknown } | undefined {
  return request.body as { event_action?: unknown; dedup_key?: unknown } | undefined;
}

export const pagerDutyService: VendorService = {
  refusal: (request) => (request.path === PAGERDUTY_EVENTS_PATH ? undefined : jsonAnswer(404, { status: 'not found' })),
  accepted: (request) => jsonAnswer(202, { status: 'success', message: 'Event processed', dedup_key: event(request)?.dedup_key }),
  incident(request) {
    const body = event(request);
    if (typeof body?.dedup_key !== 'string') return undefined;
    if (body.event_action === 'trigger') return { key: body.dedup_key, action: 'open' };
    if (body.event_action === 'resolve') return { key: body.dedup_key, action: 'close' };
    return undefined;
  },
};
