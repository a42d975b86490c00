/**
 * Contract tests against the official examples of Azure/azure-rest-api-specs (DESIGN.md principle
 * 10). Fixtures live in `test/fixtures/azure-rest/{service}/`, copied verbatim; each folder's
 * `SOURCES.json` names, per file, the repository path and commit it was copied from, and a fixture
 * without a source is refused here, so no example can slip in unsourced.
 *
 * Two kinds of test use this module:
 * (a) the simulator answers the example's request with a body of the example response's shape
 *     (`shapeMismatches`);
 * (b) the adapters, fed the example response verbatim by a plain HTTPS server (`startExampleServer`),
 *     produce the right model and findings.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { loopbackCertificate } from '../../tooling/simulator/certificate.js';
import { projectRoot } from './fixtures.js';

export const restFixtures = path.resolve(projectRoot, 'test', 'fixtures', 'azure-rest');

/** Where an example was copied from. */
export interface ExampleSource {
  repo: string;
  path: string;
  /** 40 hex digits. */
  commit: string;
}

/** An x-ms-examples file: the request's parameters and the responses by status code. */
export interface RestExample {
  parameters: Record<string, unknown>;
  responses: Record<string, { body?: unknown; headers?: Record<string, string> }>;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

/** The source of one fixture; throws when `SOURCES.json` does not name it with a full commit. */
export function exampleSource(service: string, file: string): ExampleSource {
  const sources = readJson(path.join(restFixtures, service, 'SOURCES.json')) as Record<string, ExampleSource | undefined>;
  const source = sources[file];
  if (source === undefined) throw new Error(`test/fixtures/azure-rest/${service}/SOURCES.json does not name ${file}`);
  if (!/^[0-9a-f]{40}$/.test(source.commit) || source.path === '' || source.repo === '') {
    throw new Error(`test/fixtures/azure-rest/${service}/SOURCES.json: ${file} needs repo, path and a 40-digit commit`);
  }
  return source;
}

/** An official example, checked to have a source. */
export function restExample(service: string, file: string): RestExample {
  exampleSource(service, file);
  return readJson(path.join(restFixtures, service, file)) as RestExample;
}

/** The body of one of the example's responses (default 200). */
export function exampleBody<T = unknown>(service: string, file: string, status = '200'): T {
  const response = restExample(service, file).responses[status];
  if (response === undefined) throw new Error(`${service}/${file} has no ${status} response`);
  return response.body as T;
}

export interface ShapeOptions {
  /** Paths (`$.value[].properties.foo`) of example fields the actual body may leave out. */
  optional?: readonly string[];
  /** Accept fields the example does not show (default false: every field must be in the example). */
  allowExtra?: boolean;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Where `actual` differs in shape from `example`: a field of the example missing from actual, a
 * field actual has that the example does not (unless allowed), or a different JSON kind. A `null`
 * in the example matches any kind (the specs write `null` for "absent here"); array items are each
 * compared with the example's first item. Keys compare exactly (JSON is case-sensitive).
 */
export function shapeMismatches(actual: unknown, example: unknown, options: ShapeOptions = {}, at = '$'): string[] {
  if (example === null) return [];
  const expectedKind = kindOf(example);
  const actualKind = kindOf(actual);
  if (expectedKind !== actualKind) return [`${at}: ${actualKind} where the example has ${expectedKind}`];
  if (Array.isArray(example)) {
    const [first] = example;
    if (first === undefined) return [];
    return (actual as unknown[]).flatMap((item) => shapeMismatches(item, first, options, `${at}[]`));
  }
  if (expectedKind !== 'object') return [];
  const expected = example as Record<string, unknown>;
  const got = actual as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(expected)) {
    const child = `${at}.${key}`;
    if (!(key in got)) {
      if (!(options.optional ?? []).includes(child)) problems.push(`${child}: missing`);
      continue;
    }
    problems.push(...shapeMismatches(got[key], expected[key], options, child));
  }
  if (options.allowExtra !== true) {
    for (const key of Object.keys(got)) if (!(key in expected)) problems.push(`${at}.${key}: not in the example`);
  }
  return problems;
}

/** One canned answer of the example server. */
export interface ExampleRoute {
  method: string;
  /** Matched against the request's path (without the query). */
  path: string | RegExp;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ReceivedRequest {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface ExampleServer {
  /** `https://127.0.0.1:PORT` */
  url: string;
  caPem: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A plain HTTPS server that answers each request with the first matching canned route, verbatim
 * (`body` is sent as JSON exactly as given; a string body is sent as it is). Nothing about Azure is
 * simulated: what the adapter makes of the official response is all that is tested. An unmatched
 * request is a 404 with an ARM error body and is recorded, so a test can assert what was asked.
 */
export async function startExampleServer(routes: readonly ExampleRoute[] | ((request: ReceivedRequest) => ExampleRoute | undefined)): Promise<ExampleServer> {
  const certificate = await loopbackCertificate();
  const requests: ReceivedRequest[] = [];
  let baseUrl = '';
  const server: Server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const request: ReceivedRequest = {
        method: (incoming.method ?? 'GET').toUpperCase(),
        url: new URL(incoming.url ?? '/', baseUrl),
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const route =
        typeof routes === 'function'
          ? routes(request)
          : routes.find(
              (candidate) =>
                candidate.method.toUpperCase() === request.method &&
                (typeof candidate.path === 'string' ? candidate.path === request.url.pathname : candidate.path.test(request.url.pathname)),
            );
      const answer: Omit<ExampleRoute, 'method' | 'path'> = route ?? {
        status: 404,
        body: { error: { code: 'NotFound', message: `example server: no route for ${request.method} ${request.url.pathname}` } },
      };
      const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      outgoing.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
      outgoing.end(text);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    caPem: certificate.certPem,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
