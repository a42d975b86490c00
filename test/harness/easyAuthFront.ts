/**
 * The registered HTTP functions on a real loopback port, behind a stand-in for what Azure puts in
 * front of them, so a CLI process talks HTTP to the app as it would to the deployed one:
 *
 * - a managed-identity token endpoint speaking App Service's protocol (`IDENTITY_ENDPOINT` and
 *   `IDENTITY_HEADER`, api-version 2019-08-01), which the CLI's real DefaultAzureCredential uses
 *   (its ManagedIdentityCredential): each identity header value stands for one Entra principal;
 * - App Service Authentication (Easy Auth, `unauthenticatedClientAction: Return401`, allowed
 *   audiences `api://<clientId>` and `<clientId>` as infra/main.bicep sets them): it strips any
 *   incoming `x-ms-client-principal`, answers 401 without a valid token for an allowed audience,
 *   and passes the token's principal on in `x-ms-client-principal`;
 * - the Functions host's key check (`x-functions-key`, authLevel function) and routing: a route no
 *   function registered is an empty 404, as the host answers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { TokenCredential } from '@azure/core-auth';

import { encodePrincipal, type Principal } from '../../lib/auth/principal.js';
import type { LocalFunctionsHost } from '../../tooling/local/functionsHost.js';

export interface EasyAuthFront {
  /** Base URL of the app (`/api/...` below it). */
  url: string;
  /** The app's audience as the CLI names it (`api://<clientId>`). */
  audience: string;
  functionKey: string;
  /** Environment for a process whose DefaultAzureCredential should sign in as `principal`. */
  identityEnv(principal: Principal): Record<string, string>;
  /** Requests the app received, in order (method and path). */
  requests: string[];
  close(): Promise<void>;
}

export interface EasyAuthFrontOptions {
  /** Runs before each API request is handed to the functions (e.g. to move the durable host on). */
  beforeRequest?: (method: string, path: string) => Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function routeMatcher(template: string): RegExp {
  const pattern = template
    .split('/')
    .map((part) => (/^\{(\w+)\}$/.test(part) ? `(?<${part.slice(1, -1)}>[^/]+)` : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${pattern}$`, 'i');
}

export async function startEasyAuthFront(host: LocalFunctionsHost, options: EasyAuthFrontOptions = {}): Promise<EasyAuthFront> {
  const clientId = randomUUID();
  const allowedAudiences = new Set([`api://${clientId}`, clientId]);
  const functionKey = randomBytes(16).toString('base64url');
  const identities = new Map<string, Principal>();
  const tokens = new Map<string, { principal: Principal; audience: string }>();
  const requests: string[] = [];
  const routes = [...host.functions.entries()].flatMap(([name, captured]) => {
    const trigger = Object.values(captured.metadata.bindings).find((binding) => binding.type === 'httpTrigger');
    if (trigger === undefined) return [];
    const methods = ((trigger['methods'] as string[] | undefined) ?? ['GET', 'POST']).map((method) => method.toUpperCase());
    return [{ name, methods, matcher: routeMatcher(typeof trigger['route'] === 'string' ? trigger['route'] : name) }];
  });

  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const method = (request.method ?? 'GET').toUpperCase();
      const send = (status: number, body?: string, contentType = 'application/json') => {
        response.writeHead(status, body === undefined ? {} : { 'content-type': contentType });
        response.end(body ?? '');
      };
      // Managed identity endpoint (App Service protocol): GET ?api-version=2019-08-01&resource=...
      if (url.pathname === '/msi/token') {
        const principal = identities.get(String(request.headers['x-identity-header'] ?? ''));
        const resource = url.searchParams.get('resource') ?? '';
        if (principal === undefined || url.searchParams.get('api-version') !== '2019-08-01' || resource === '')
          return send(400, JSON.stringify({ error: 'invalid_request' }));
        const token = randomBytes(24).toString('base64url');
        tokens.set(token, { principal, audience: resource });
        return send(
          200,
          JSON.stringify({
            access_token: token,
            expires_on: String(Math.floor(Date.now() / 1000) + 3600),
            resource,
            token_type: 'Bearer',
            client_id: principal.appId ?? clientId,
          }),
        );
      }
      const body = await readBody(request);
      requests.push(`${method} ${url.pathname}`);
      // Easy Auth: a valid token for an allowed audience, or 401 before the app sees anything.
      const bearer = /^Bearer (\S+)$/.exec(String(request.headers['authorization'] ?? ''))?.[1];
      const issued = bearer === undefined ? undefined : tokens.get(bearer);
      if (issued === undefined || !allowedAudiences.has(issued.audience))
        return send(401, 'You do not have permission to view this directory or page.', 'text/plain');
      if (request.headers['x-functions-key'] !== functionKey) return send(401);
      const path = url.pathname.replace(/^\/api\//, '');
      const route = routes
        .map((candidate) => ({ ...candidate, match: url.pathname.startsWith('/api/') ? candidate.matcher.exec(path) : null }))
        .find((candidate) => candidate.match !== null && candidate.methods.includes(method));
      if (route === undefined || route.match === null) return send(404);
      await options.beforeRequest?.(method, url.pathname);
      const answer = await host.invokeHttp(route.name, {
        method,
        path: url.pathname,
        // Only the platform's principal header reaches the app: whatever the caller sent is dropped.
        headers: { 'x-ms-client-principal': encodePrincipal(issued.principal) },
        params: { ...route.match.groups },
        ...(body === '' ? {} : { body }),
      });
      send(
        answer.status,
        answer.body === undefined ? undefined : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body),
        answer.headers['content-type'] ?? 'application/json',
      );
    })().catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    audience: `api://${clientId}`,
    functionKey,
    requests,
    identityEnv(principal) {
      const secret = randomBytes(12).toString('hex');
      identities.set(secret, principal);
      return { IDENTITY_ENDPOINT: `${base}/msi/token`, IDENTITY_HEADER: secret };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * For in-process command tests: a TokenCredential that asks the same managed-identity endpoint as
 * the CLI process's DefaultAzureCredential would (App Service protocol), given `identityEnv`'s values.
 */
export function managedIdentityCredential(env: Record<string, string>): TokenCredential {
  return {
    async getToken(scopes) {
      const resource = (Array.isArray(scopes) ? String(scopes[0]) : String(scopes)).replace(/\/\.default$/, '');
      const url = `${env['IDENTITY_ENDPOINT'] ?? ''}?api-version=2019-08-01&resource=${encodeURIComponent(resource)}`;
      const response = await fetch(url, { headers: { 'x-identity-header': env['IDENTITY_HEADER'] ?? '' } });
      const body = (await response.json()) as { access_token: string; expires_on: string };
      return { token: body.access_token, expiresOnTimestamp: Number(body.expires_on) * 1000 };
    },
  };
}
