/** Every request the simulator answered, for assertions in tests and call counts in benchmarks. */
export interface LoggedRequest {
  route: string;
  method: string;
  path: string;
  status: number;
}

export class RequestLog {
  readonly entries: LoggedRequest[] = [];
  private inFlight = 0;
  /** The most requests that were being answered at the same moment (bounded-concurrency checks). */
  maxInFlight = 0;

  started(): void {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
  }

  finished(): void {
    this.inFlight -= 1;
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
  }
}
