import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { loadOnce } from '../lib/loadOnce.js';

const modules = loadOnce(() =>
  Promise.all([
    import('../lib/report/reportEndpoint.js'),
    import('../lib/app/runtime.js'),
    import('../lib/app/httpApiGuard.js'),
    import('../lib/report/storageLabel.js'),
  ]),
);

async function report(request: HttpRequest): Promise<HttpResponseInit> {
  const [{ serveReportRequest }, { getRuntime }, { refuseUnauthenticatedHttpApi }, { storageLabel }] = await modules();
  const refusal = refuseUnauthenticatedHttpApi();
  if (refusal !== undefined) return { status: refusal.status, jsonBody: refusal.body };
  const { clients, config } = getRuntime();
  const storage = config.storage === undefined ? undefined : storageLabel(config.storage);
  const response = await serveReportRequest(request.headers.get('x-ms-client-principal'), clients, new Date(), storage);
  return { status: response.status, headers: response.headers, body: response.body };
}

// Entra ID (App Service Authentication) plus the function key; the read role is checked in lib/.
app.http('report', { methods: ['GET'], route: 'report', authLevel: 'function', handler: report });
