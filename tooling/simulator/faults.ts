/**
 * Fault injection per route: latency, throttling (in each service's own headers: `throttling.ts`),
 * server errors, and subscriptions that refuse the identity. Shares are drawn from a seeded generator so a run can be repeated;
 * `first` makes the first N requests fail, for exact tests.
 */
export interface FailureShare {
  /** Share of requests (0-1) that fail this way. */
  rate?: number;
  /** The first N requests of the route fail this way, whatever the rate. */
  first?: number;
}

export interface RouteFaults {
  latencyMs?: number;
  /**
   * ARM and Log Analytics send `Retry-After` (`retryAfterMs` adds `retry-after-ms`, which Azure SDKs
   * read first). Resource Graph sends no Retry-After but `x-ms-user-quota-resets-after`, in whole
   * seconds: `retryAfterSeconds`, else `retryAfterMs` rounded down (a sub-second reset is `00:00:00`).
   */
  throttle?: FailureShare & { retryAfterSeconds?: number; retryAfterMs?: number };
  serverError?: FailureShare & { status?: 500 | 503 };
}

export interface FaultPlan {
  /** By route name; `*` applies to every route. */
  routes?: Record<string, RouteFaults>;
  /** Subscriptions whose requests answer 403 AuthorizationFailed. */
  forbiddenSubscriptions?: string[];
  /** Log Analytics workspaces (name or resource id) whose queries answer 500. */
  failingWorkspaces?: string[];
  /** Log Analytics workspaces whose queries return a partial result (PartialError). */
  partialWorkspaces?: string[];
  /** Log Analytics workspaces whose queries never answer (until the simulator closes). */
  hangingWorkspaces?: string[];
  /** Detections whose query (alone or as a leg of a union) the query API refuses with 400 (say, a table the workspace lacks). */
  refusedDetections?: string[];
  seed?: number;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'throttle'; retryAfterSeconds: number; retryAfterMs: number | undefined; quotaResetsAfterMs: number }
  | { kind: 'serverError'; status: number }
  | { kind: 'forbidden' };

/** mulberry32: a tiny seeded generator, so fault patterns (and chaos tests) are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export class FaultInjector {
  private plan: FaultPlan = {};
  private random = seededRandom(1);
  private readonly seenPerRoute = new Map<string, number>();

  /** Replaces the plan and restarts the `first` counters. */
  configure(plan: FaultPlan): void {
    this.plan = plan;
    this.random = seededRandom(plan.seed ?? 1);
    this.seenPerRoute.clear();
  }

  /** How a query to this workspace should fail, if at all. */
  workspaceFault(workspaceId: string): 'failing' | 'partial' | 'hanging' | undefined {
    const matches = (entries: string[] | undefined) =>
      entries?.some(
        (entry) => workspaceId.toLowerCase() === entry.toLowerCase() || workspaceId.toLowerCase().endsWith(`/workspaces/${entry.toLowerCase()}`),
      ) === true;
    if (matches(this.plan.failingWorkspaces)) return 'failing';
    if (matches(this.plan.hangingWorkspaces)) return 'hanging';
    if (matches(this.plan.partialWorkspaces)) return 'partial';
    return undefined;
  }

  /** Whether a query holding this detection is refused (400 SemanticError). */
  refusesDetection(detectionId: string): boolean {
    return this.plan.refusedDetections?.includes(detectionId) === true;
  }

  /** Whether the identity is refused in this subscription (403 from ARM; silently absent from Resource Graph). */
  isForbidden(subscriptionId: string): boolean {
    return this.plan.forbiddenSubscriptions?.some((id) => id.toLowerCase() === subscriptionId.toLowerCase()) === true;
  }

  latencyFor(route: string): number {
    return this.plan.routes?.[route]?.latencyMs ?? this.plan.routes?.['*']?.latencyMs ?? 0;
  }

  decide(route: string, subscriptionId: string | undefined): FaultDecision {
    if (subscriptionId !== undefined && this.isForbidden(subscriptionId)) {
      return { kind: 'forbidden' };
    }
    const faults = this.plan.routes?.[route] ?? this.plan.routes?.['*'];
    const seen = (this.seenPerRoute.get(route) ?? 0) + 1;
    this.seenPerRoute.set(route, seen);
    if (faults === undefined) return { kind: 'none' };
    if (faults.throttle && this.hits(faults.throttle, seen)) {
      const { retryAfterMs, retryAfterSeconds } = faults.throttle;
      return {
        kind: 'throttle',
        retryAfterSeconds: retryAfterSeconds ?? (retryAfterMs === undefined ? 1 : Math.ceil(retryAfterMs / 1000)),
        retryAfterMs,
        quotaResetsAfterMs:
          retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : retryAfterMs === undefined ? 1000 : Math.floor(retryAfterMs / 1000) * 1000,
      };
    }
    if (faults.serverError && this.hits(faults.serverError, seen)) {
      return { kind: 'serverError', status: faults.serverError.status ?? 500 };
    }
    return { kind: 'none' };
  }

  private hits(share: FailureShare, seen: number): boolean {
    if (share.first !== undefined && seen <= share.first) return true;
    return share.rate !== undefined && share.rate > 0 && this.random() < share.rate;
  }
}
