import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { bodyReader } from '../lib/boundedBody.js';
import { loadOnce } from '../lib/loadOnce.js';

const modules = loadOnce(() => Promise.all([import('../lib/alerts/silencesApi.js'), import('../lib/app/httpApiGuard.js')]));

async function serve(operation: 'list' | 'create' | 'expire', request: HttpRequest): Promise<HttpResponseInit> {
  const [{ handleSilencesRequest }, { refuseUnauthenticatedHttpApi, storedRuntimeForHttp }] = await modules();
  const refusal = refuseUnauthenticatedHttpApi();
  if (refusal !== undefined) return { status: refusal.status, jsonBody: refusal.body };
  const runtime = await storedRuntimeForHttp('the silence store is unavailable');
  if ('status' in runtime) return { status: runtime.status, jsonBody: runtime.body };
  const { config, clients } = runtime;
  if (clients.alertStore === undefined) return { status: 503, jsonBody: { error: 'storage is not configured' } };
  const response = await handleSilencesRequest(
    operation,
    {
      method: request.method,
      principalHeader: request.headers.get('x-ms-client-principal'),
      params: request.params,
      // Read by lib/ after the role check, within the endpoint's byte limit (lib/boundedBody.ts).
      body: bodyReader(request),
    },
    clients.alertStore,
    new Date(),
    config.silences,
  );
  return { status: response.status, jsonBody: response.body };
}

// Entra ID (App Service Authentication) plus the function key: the key means a forged
// x-ms-client-principal is useless if authentication were ever switched off. Roles are checked in lib/.
app.http('silencesList', { methods: ['GET'], route: 'silences', authLevel: 'function', handler: (request) => serve('list', request) });
app.http('silencesCreate', { methods: ['POST'], route: 'silences', authLevel: 'function', handler: (request) => serve('create', request) });
app.http('silencesExpire', { methods: ['DELETE'], route: 'silences/{id}', authLevel: 'function', handler: (request) => serve('expire', request) });
