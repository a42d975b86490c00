import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';

import { bodyReader } from '../lib/boundedBody.js';
import { loadOnce } from '../lib/loadOnce.js';

const modules = loadOnce(() => import('../lib/app/pagerDutyWebhookEndpoint.js'));

async function pagerDutyWebhook(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { servePagerDutyWebhook } = await modules();
  const answer = await servePagerDutyWebhook(
    // The body is read by lib/ within PagerDuty's size limit, once the signature header is there.
    { signature: request.headers.get('x-pagerduty-signature'), body: bodyReader(request) },
    { log: { info: (message) => context.log(message), warn: (message) => context.warn(message) } },
  );
  return { status: answer.status, jsonBody: answer.body };
}

// PagerDuty cannot present an Entra ID token, so the route is excluded from App Service
// Authentication (infra/main.bicep) and the v1 HMAC signature authenticates each delivery. The
// function key (`?code=` in the subscription's URL) stays as a cheap first gate: a caller without it
// is refused by the host before a byte is read or an HMAC computed.
app.http('pagerDutyWebhook', { methods: ['POST'], route: 'pagerduty/webhook', authLevel: 'function', handler: pagerDutyWebhook });
