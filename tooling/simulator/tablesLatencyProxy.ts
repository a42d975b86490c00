/**
 * A loopback HTTP proxy in front of Azurite's Table service that adds a latency to every request
 * and counts the requests by kind, so store figures measured locally mean something for Azure
 * Tables in production. Azurite answers in well under a millisecond; Azure Table Storage promises
 * no latency bound ("fast, but no upper bounds on latency", against Cosmos DB for Table's p99 of
 * < 10 ms reads and < 15 ms writes: Learn, "Introduction to Azure Cosmos DB for Table",
 * https://learn.microsoft.com/azure/cosmos-db/table-support), so 10–20 ms per request is a fair,
 * not pessimistic, stand-in for Table Storage in the same region (issue 19). Each request waits a delay drawn uniformly from [minMs, maxMs] (seeded: runs are comparable)
 * before it is forwarded; bodies and headers pass through unchanged, so SharedKey signatures
 * (which sign the path, not the port) still verify.
 *
 * Every request is one billable storage transaction ("Azure Table Storage pricing": an entity
 * group transaction counts as one), so the counts are the figures the store benchmark prints.
 */
import { Agent, createServer, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { seededRandom } from './faults.js';

/** How a request to the Table service counts: a query page, a batch, a single-entity write, anything else (tables, ...). */
export type TablesRequestKind = 'query' | 'batch' | 'write' | 'other';

export interface TablesRequestCounts {
  query: number;
  batch: number;
  write: number;
  other: number;
  total: number;
}

export interface LatencyProxyOptions {
  /** Azurite's table endpoint, `http://127.0.0.1:port/devstoreaccount1`. */
  tableEndpoint: string;
  /** Added delay per request, milliseconds; 0/0 counts without delaying. */
  minMs: number;
  maxMs: number;
  seed?: number;
}

export interface RunningLatencyProxy {
  /** The proxy's table endpoint (same account path, the proxy's port). */
  tableEndpoint: string;
  /** `connectionString` with its TableEndpoint pointed at the proxy. */
  connectionStringFor(connectionString: string): string;
  counts(): TablesRequestCounts;
  /** Counts back to zero (between phases of a benchmark or steps of a test). */
  reset(): void;
  close(): Promise<void>;
}

/** The kind of a Table service request, from its method and path. */
export function tablesRequestKind(method: string, url: string): TablesRequestKind {
  const path = url.split('?')[0] ?? '';
  if (method === 'POST' && path.endsWith('/$batch')) return 'batch';
  // Tables ("Tables" and "Tables('name')") are the table operations; anything else names a table's entities.
  if (/\/Tables(\(|$)/.test(path)) return 'other';
  if (method === 'GET') return 'query';
  if (['PUT', 'MERGE', 'PATCH', 'DELETE', 'POST'].includes(method)) return 'write';
  return 'other';
}

export async function startTablesLatencyProxy(options: LatencyProxyOptions): Promise<RunningLatencyProxy> {
  const target = new URL(options.tableEndpoint);
  const agent = new Agent({ keepAlive: true });
  const next = seededRandom(options.seed ?? 1);
  const counts: TablesRequestCounts = { query: 0, batch: 0, write: 0, other: 0, total: 0 };

  const forward = (incoming: IncomingMessage, reply: ServerResponse) => {
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers, agent },
      (response) => {
        reply.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(reply);
      },
    );
    upstream.on('error', (error) => {
      if (!reply.headersSent) reply.writeHead(502, { 'content-type': 'text/plain' });
      reply.end(`latency proxy: ${error.message}`);
    });
    incoming.pipe(upstream);
  };

  const server: Server = createServer((incoming, reply) => {
    const kind = tablesRequestKind(incoming.method ?? 'GET', incoming.url ?? '/');
    counts[kind] += 1;
    counts.total += 1;
    const delay = options.minMs + (options.maxMs - options.minMs) * next();
    // The body is buffered by the socket meanwhile; forwarding after the delay keeps request order per connection.
    incoming.pause();
    if (delay <= 0) forward(incoming, reply);
    else setTimeout(() => forward(incoming, reply), delay);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const tableEndpoint = `http://127.0.0.1:${port}${target.pathname}`;
  return {
    tableEndpoint,
    connectionStringFor: (connectionString) => connectionString.replace(/TableEndpoint=[^;]+/, `TableEndpoint=${tableEndpoint}`),
    counts: () => ({ ...counts }),
    reset: () => {
      for (const key of Object.keys(counts) as Array<keyof TablesRequestCounts>) counts[key] = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
