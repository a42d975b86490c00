import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { bodyReader } from '../lib/boundedBody.js';
import { loadOnce } from '../lib/loadOnce.js';

const endpoint = loadOnce(() => import('../lib/app/slackInteractionsEndpoint.js'));

async function serve(request: HttpRequest): Promise<HttpResponseInit> {
  const { serveSlackInteraction } = await endpoint();
  // The raw body is read by lib/ within its byte limit: the signature is over the exact bytes.
  const response = await serveSlackInteraction({ headers: request.headers, body: bodyReader(request) });
  return { status: response.status, jsonBody: response.body };
}

// Slack's interactivity Request URL. Slack's signing secret is the authentication (verified in
// lib/alerts/interactions/slackSignature.ts), not Entra ID: Slack cannot get a token. `authLevel:
// 'function'` adds the function key as a second factor: the Request URL carries it as `?code=`
// (Slack keeps the query string), so a caller without it never reaches the signature check.
app.http('slackInteractions', { methods: ['POST'], route: 'slack/interactions', authLevel: 'function', handler: serve });
