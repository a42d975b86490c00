/**
 * The local Azure (simulator and Azurite) in a child process, for benchmarks. Azure is remote in
 * production: serving 5,000 clusters of JSON and running Azurite's LokiJS in the sweep's own
 * process would charge their CPU and memory to the sweep. The parent talks to it over IPC.
 */
import type { FaultPlan } from '../../tooling/simulator/faults.js';
import { type GeneratedFleetOptions, generateFleet } from '../../tooling/simulator/fleetGenerator.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { serviceOfRouteName } from '../../tooling/simulator/requestLog.js';

export interface LocalAzureProcessOptions {
  fleet: GeneratedFleetOptions;
  withTables: boolean;
  faults?: FaultPlan;
  pageSize?: number;
  settings?: Record<string, string>;
}

export type ParentMessage = { id: number } & (
  { kind: 'start'; options: LocalAzureProcessOptions } | { kind: 'stats' } | { kind: 'reset' } | { kind: 'faults'; plan: FaultPlan } | { kind: 'close' }
);

export interface ProcessStats {
  countsByRoute: Record<string, number>;
  total: number;
  maxInFlight: number;
  rssMb: number;
  /** Per service (route prefix: arm, policy, graph, logs): calls, most in flight, most in any window. */
  services?: Record<string, ServiceStats>;
  /** ARM reads (GET) of the busiest subscription, and the most of them in any 10 s. */
  armReadsBusiestSubscription?: { total: number; peak10s: number };
  /** Policy Insights calls (POST) of the busiest subscription, and the most of them in any 10 s. */
  policyBusiestSubscription?: { total: number; peak10s: number };
  /** Per route, when its first and last requests arrived (ms after the first request of all). */
  timeline?: Record<string, { first: number; last: number }>;
}

export interface ServiceStats {
  calls: number;
  maxInFlight: number;
  /** Most calls that arrived within any 5 s (Resource Graph's window) and any 30 s (Log Analytics'). */
  peak5s: number;
  peak30s: number;
}

/** The most arrival times within any window of `windowMs` (sorted input). */
function peakInWindow(times: readonly number[], windowMs: number): number {
  let peak = 0;
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) start += 1;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

function busiest(bySubscription: ReadonlyMap<string, number[]>): { total: number; peak10s: number } {
  let top = { total: 0, peak10s: 0 };
  for (const list of bySubscription.values()) {
    const sorted = [...list].sort((left, right) => left - right);
    if (sorted.length > top.total) top = { total: sorted.length, peak10s: peakInWindow(sorted, 10_000) };
  }
  return top;
}

function serviceStats(
  requests: NonNullable<LocalAzure['simulator']['requests']>,
): Pick<ProcessStats, 'services' | 'armReadsBusiestSubscription' | 'policyBusiestSubscription'> {
  const times = new Map<string, number[]>();
  const armReads = new Map<string, number[]>();
  const policyCalls = new Map<string, number[]>();
  for (const entry of requests.entries) {
    const service = serviceOfRouteName(entry.route);
    const list = times.get(service) ?? [];
    list.push(entry.receivedAt ?? 0);
    times.set(service, list);
    const subscription = /^\/subscriptions\/([^/]+)/i.exec(entry.path)?.[1]?.toLowerCase();
    if (entry.method === 'GET' && subscription !== undefined && (service === 'arm' || service === 'policy'))
      armReads.set(subscription, [...(armReads.get(subscription) ?? []), entry.receivedAt ?? 0]); // few per subscription
    if (service === 'policy' && subscription !== undefined) policyCalls.set(subscription, [...(policyCalls.get(subscription) ?? []), entry.receivedAt ?? 0]);
  }
  const services: Record<string, ServiceStats> = {};
  for (const [service, list] of times) {
    const sorted = [...list].sort((left, right) => left - right);
    services[service] = {
      calls: sorted.length,
      maxInFlight: requests.maxInFlightByService[service] ?? 0,
      peak5s: peakInWindow(sorted, 5000),
      peak30s: peakInWindow(sorted, 30_000),
    };
  }
  return { services, armReadsBusiestSubscription: busiest(armReads), policyBusiestSubscription: busiest(policyCalls) };
}

/** When each route's first and last requests arrived, ms after the first request of all: where a sweep's time goes. */
function routeTimeline(requests: NonNullable<LocalAzure['simulator']['requests']>): Record<string, { first: number; last: number }> {
  const start = Math.min(...requests.entries.map((entry) => entry.receivedAt ?? 0));
  const timeline: Record<string, { first: number; last: number }> = {};
  for (const entry of requests.entries) {
    const at = (entry.receivedAt ?? 0) - start;
    const span = timeline[entry.route] ?? { first: at, last: at };
    timeline[entry.route] = { first: Math.min(span.first, at), last: Math.max(span.last, at) };
  }
  return timeline;
}

let local: LocalAzure | undefined;

async function handle(message: ParentMessage): Promise<unknown> {
  switch (message.kind) {
    case 'start': {
      const { fleet, withTables, faults, pageSize, settings } = message.options;
      local = await startLocalAzure({
        snapshot: generateFleet(fleet),
        withTables,
        ...(faults ? { faults } : {}),
        ...(pageSize === undefined ? {} : { pageSize }),
        ...(settings ? { settings } : {}),
      });
      return local.settings;
    }
    case 'stats': {
      const requests = local?.simulator.requests;
      const countsByRoute = requests?.countsByRoute() ?? {};
      const stats: ProcessStats = {
        countsByRoute,
        total: Object.values(countsByRoute).reduce((sum, count) => sum + count, 0),
        maxInFlight: requests?.maxInFlight ?? 0,
        rssMb: Math.round(process.memoryUsage().rss / 1024 / 1024),
        ...(requests === undefined ? {} : serviceStats(requests)),
        ...(requests === undefined ? {} : { timeline: routeTimeline(requests) }),
      };
      return stats;
    }
    case 'reset':
      local?.simulator.requests.clear();
      return null;
    case 'faults':
      local?.simulator.faults.configure(message.plan);
      return null;
    case 'close':
      await local?.close();
      local = undefined;
      setImmediate(() => process.exit(0));
      return null;
  }
}

process.on('message', (message: ParentMessage) => {
  handle(message).then(
    (result) => process.send?.({ id: message.id, result }),
    (error: unknown) => process.send?.({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
