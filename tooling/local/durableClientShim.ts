/**
 * The Durable extension's HTTP API (`rpcBaseUrl`) on loopback, backed by the local durable host, so
 * `df.getClient(context)` works unchanged in functions invoked locally: startNew, getStatus,
 * raiseEvent, terminate.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { LocalDurableHost } from './durableHost.js';

export interface DurableClientShim {
  /** What the host puts in a durableClient input binding. */
  clientData: Record<string, unknown>;
  close(): Promise<void>;
}

export async function startDurableClientShim(host: LocalDurableHost, taskHubName = 'fleetguardlocal'): Promise<DurableClientShim> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const body = Buffer.concat(chunks).toString('utf8');
      const send = (status: number, data?: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(data === undefined ? '' : JSON.stringify(data));
      };
      try {
        if (request.method === 'POST' && parts[0] === 'orchestrators' && parts[1] !== undefined) {
          const id = host.startNew(parts[1], body === '' ? undefined : (JSON.parse(body) as unknown), parts[2]);
          send(202, { id });
        } else if (request.method === 'GET' && parts[0] === 'instances' && parts[1] !== undefined) {
          const status = host.getStatus(parts[1]);
          if (status === undefined) send(404);
          // As the extension does: input and output are always present, null until known.
          else send(200, { ...status, input: status.input ?? null, output: (status.runtimeStatus === 'Failed' ? status.error : status.output) ?? null });
        } else if (request.method === 'POST' && parts[0] === 'instances' && parts[1] !== undefined && parts[2] === 'raiseEvent' && parts[3] !== undefined) {
          const target = host.getStatus(parts[1]);
          if (target === undefined) return send(404);
          // As the extension's HTTP API (Learn: durable-functions-http-api): 410 Gone for an instance that completed, failed or was
          // terminated; the library's DurableClient takes 410 as a normal answer.
          if (target.runtimeStatus !== 'Running' && target.runtimeStatus !== 'Pending') return send(410);
          host.raiseEvent(parts[1], parts[3], body === '' ? undefined : (JSON.parse(body) as unknown));
          send(202);
        } else if (request.method === 'POST' && parts[0] === 'instances' && parts[1] !== undefined && parts[2] === 'terminate') {
          const target = host.getStatus(parts[1]);
          if (target === undefined) return send(404);
          if (target.runtimeStatus !== 'Running' && target.runtimeStatus !== 'Pending') return send(410);
          host.terminate(parts[1], url.searchParams.get('reason') ?? '');
          send(202);
        } else {
          send(404);
        }
      } catch (error) {
        send(400, { message: (error as Error).message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}/`;
  return {
    clientData: {
      taskHubName,
      creationUrls: {
        createNewInstancePostUri: `${base}orchestrators/{functionName}[/{instanceId}]`,
        createAndWaitOnNewInstancePostUri: `${base}orchestrators/{functionName}[/{instanceId}]`,
      },
      managementUrls: { id: 'INSTANCEID', statusQueryGetUri: `${base}instances/INSTANCEID` },
      baseUrl: base,
      requiredQueryStringParameters: '',
      rpcBaseUrl: base,
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
