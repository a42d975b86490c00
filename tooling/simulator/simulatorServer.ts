/**
 * The local Azure simulator: a real HTTPS server on loopback that speaks the REST APIs the SDK
 * clients call, so tests, the demo and benchmarks run the same code paths as production.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { armRoutes } from './armRoutes.js';
import { loopbackCertificate } from './certificate.js';
import { componentPolicyRoutes } from './componentPolicyRoutes.js';
import { diagnosticSettingsRoutes } from './diagnosticSettingsRoutes.js';
import { FaultInjector, type FaultPlan } from './faults.js';
import { FleetState } from './fleetState.js';
import { logsRoutes } from './logsRoutes.js';
import { maintenanceRoutes } from './maintenanceRoutes.js';
import { policyRoutes } from './policyRoutes.js';
import { RequestLog, serviceOfRouteName } from './requestLog.js';
import { type ResourceGraphRouteOptions, resourceGraphRoutes } from './resourceGraphRoutes.js';
import { armError, matchRoute, type Route, type SimulatorResponse } from './router.js';
import type { FleetSnapshot } from './snapshot.js';
import { ArmRateLimits, graphQuotaHeaders, type GraphQuotaOptions, graphThrottled, serviceOfRoute } from './throttling.js';
import { upgradeRoutes } from './upgradeRoutes.js';
import { UpgradeSimulation, type UpgradeSimulationOptions } from './upgradeSimulation.js';

export interface SimulatorOptions {
  snapshot: FleetSnapshot;
  /** Subscriptions that exist but hold no clusters. */
  extraSubscriptions?: string[];
  /** Items per page of list and query calls (default 50). */
  pageSize?: number;
  /** Rows per Resource Graph page (the service's is 1,000). */
  graphPageSize?: number;
  /** Resource Graph's per-identity query quota (default: the service's 15 per 5 s, system clock). */
  graphQuota?: GraphQuotaOptions;
  /** The Resource Graph api-versions this cloud has (default: every one in the specs). */
  graphApiVersions?: readonly string[];
  faults?: FaultPlan;
  /** Clock and durations of simulated upgrades (a durable host's virtual clock in rehearsals). */
  upgrades?: UpgradeSimulationOptions;
}

export interface RunningSimulator {
  /** `https://127.0.0.1:PORT`: the ARM endpoint to give the SDK clients. */
  url: string;
  /** PEM of the certificate to trust (`tlsOptions.ca`). */
  caPem: string;
  fleet: FleetState;
  upgrades: UpgradeSimulation;
  requests: RequestLog;
  faults: FaultInjector;
  /** Lets later services (Policy Insights, Log Analytics, writes) slot in. */
  addRoutes(routes: readonly Route[]): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const certificate = await loopbackCertificate();
  const fleet = new FleetState(options.snapshot, options.extraSubscriptions);
  const requests = new RequestLog();
  const faults = new FaultInjector();
  faults.configure(options.faults ?? {});
  const pageSize = options.pageSize ?? 50;
  const graphOptions: ResourceGraphRouteOptions = {
    ...(options.graphPageSize === undefined ? {} : { pageSize: options.graphPageSize }),
    ...(options.graphQuota === undefined ? {} : { quota: options.graphQuota }),
    ...(options.graphApiVersions === undefined ? {} : { apiVersions: options.graphApiVersions }),
  };
  const armLimits = new ArmRateLimits();
  const upgrades = new UpgradeSimulation(fleet, options.upgrades ?? {});
  fleet.upgrades = upgrades;
  const routes: Route[] = [
    ...upgradeRoutes(fleet, upgrades),
    ...maintenanceRoutes(fleet, upgrades),
    ...armRoutes(fleet, { pageSize }),
    ...policyRoutes(fleet, { pageSize }),
    ...componentPolicyRoutes(fleet),
    ...diagnosticSettingsRoutes(fleet),
    ...resourceGraphRoutes(fleet, faults, graphOptions),
    ...logsRoutes(fleet, faults),
  ];
  let baseUrl = '';

  const server: Server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', baseUrl);
      const method = (incoming.method ?? 'GET').toUpperCase();
      const match = matchRoute(routes, method, url.pathname);
      const routeName = match?.route.name ?? 'unmatched';
      const receivedAt = Date.now();
      requests.started(serviceOfRouteName(routeName));
      void answer()
        .catch((error: unknown) => armError(500, 'InternalServerError', `simulator: ${(error as Error).message}`))
        .then((response) => {
          requests.finished(serviceOfRouteName(routeName));
          requests.add({ route: routeName, method, path: url.pathname, status: response.status, receivedAt, answeredAt: Date.now() });
          const body = response.body === undefined ? '' : JSON.stringify(response.body);
          outgoing.writeHead(response.status, {
            'content-type': 'application/json; charset=utf-8',
            'x-ms-request-id': randomUUID(),
            ...response.headers,
          });
          outgoing.end(body);
        });

      async function answer(): Promise<SimulatorResponse> {
        if (size > MAX_BODY_BYTES) return armError(413, 'RequestEntityTooLarge', 'The request body is too large.');
        const authorization = incoming.headers.authorization ?? '';
        if (!/^Bearer\s+\S+/i.test(authorization)) {
          return armError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", {
            'www-authenticate': 'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"',
          });
        }
        if (match === undefined) {
          return armError(404, 'NotFound', `No route for ${method} ${url.pathname} on the simulator.`);
        }
        if (!url.searchParams.has('api-version') && !match.route.name.startsWith('logs.')) {
          return armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
        }
        const latency = faults.latencyFor(match.route.name);
        if (latency > 0) await sleep(latency);
        const subscriptionId = match.params['subscriptionId'];
        const fault = faults.decide(match.route.name, subscriptionId);
        switch (fault.kind) {
          case 'forbidden':
            return armError(
              403,
              'AuthorizationFailed',
              `The client does not have authorization to perform action over scope '/subscriptions/${subscriptionId ?? ''}' or the scope is invalid.`,
            );
          case 'throttle':
            // Each service throttles in its own words (throttling.ts).
            switch (serviceOfRoute(match.route.name)) {
              case 'graph':
                return graphThrottled(graphQuotaHeaders(0, fault.quotaResetsAfterMs));
              case 'arm':
                return armLimits.throttled(subscriptionId, method, fault.retryAfterSeconds, fault.retryAfterMs);
              case 'logs':
                return armError(429, 'SubscriptionRequestsThrottled', 'Number of requests exceeded the limit. Please retry after the time in Retry-After.', {
                  'retry-after': String(fault.retryAfterSeconds),
                  ...(fault.retryAfterMs === undefined ? {} : { 'retry-after-ms': String(fault.retryAfterMs) }),
                });
            }
            break;
          case 'serverError':
            return armError(fault.status, fault.status === 503 ? 'ServiceUnavailable' : 'InternalServerError', 'The simulator was told to fail this request.');
          case 'none':
            break;
        }
        let body: unknown;
        if (chunks.length > 0) {
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
          } catch {
            return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
          }
        }
        const response = await match.route.handle({ method, url, params: match.params, headers: incoming.headers, body, baseUrl });
        // ARM says on every answer how many requests of the kind the principal has left (Learn:
        // "Understand how Azure Resource Manager throttles requests").
        if (serviceOfRoute(match.route.name) !== 'arm' || response.status >= 400) return response;
        return { ...response, headers: { ...armLimits.consume(authorization, subscriptionId, method), ...response.headers } };
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `https://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    caPem: certificate.certPem,
    fleet,
    upgrades,
    requests,
    faults,
    addRoutes: (extra) => routes.push(...extra),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
