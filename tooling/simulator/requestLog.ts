/** Every request the simulator answered, for assertions in tests and call counts in benchmarks. */
export interface LoggedRequest {
  route: string;
  method: string;
  path: string;
  status: number;
  /** When the request arrived and when it was answered (Date.now()), for ordering checks in tests. */
  receivedAt?: number;
  answeredAt?: number;
}

/** The service of a route: its name's prefix (`logs.query` → `logs`). */
export function serviceOfRouteName(route: string): string {
  return route.split('.')[0] ?? route;
}

export class RequestLog {
  readonly entries: LoggedRequest[] = [];
  private inFlight = 0;
  /** The most requests that were being answered at the same moment (bounded-concurrency checks). */
  maxInFlight = 0;
  private readonly inFlightByService = new Map<string, number>();
  /** The same per service, by the route name's prefix (`arm`, `policy`, `graph`, `logs`, ...). */
  maxInFlightByService: Record<string, number> = {};

  started(service?: string): void {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (service === undefined) return;
    const now = (this.inFlightByService.get(service) ?? 0) + 1;
    this.inFlightByService.set(service, now);
    this.maxInFlightByService[service] = Math.max(this.maxInFlightByService[service] ?? 0, now);
  }

  finished(service?: string): void {
    this.inFlight -= 1;
    if (service !== undefined) this.inFlightByService.set(service, (this.inFlightByService.get(service) ?? 1) - 1);
  }

  /** Requests per service (the route name's prefix: `arm`, `policy` for Policy Insights, `graph`, `logs`). */
  countsByService(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const entry of this.entries) {
      const service = serviceOfRouteName(entry.route);
      counts[service] = (counts[service] ?? 0) + 1;
    }
    return counts;
  }

  add(entry: LoggedRequest): void {
    this.entries.push(entry);
  }

  /** Requests per route name (`unmatched` for unknown paths). */
  countsByRoute(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const entry of this.entries) counts[entry.route] = (counts[entry.route] ?? 0) + 1;
    return counts;
  }

  count(route?: string, status?: number): number {
    return this.entries.filter((entry) => (route === undefined || entry.route === route) && (status === undefined || entry.status === status)).length;
  }

  clear(): void {
    this.entries.length = 0;
    this.maxInFlight = 0;
    this.maxInFlightByService = {};
  }
}
