/**
 * A small route table for the simulator. Each service (ARM, Policy Insights, Log Analytics) adds its
 * routes; the server applies auth and faults uniformly before a handler runs.
 */
export interface SimulatorRequest {
  method: string;
  url: URL;
  params: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** `https://127.0.0.1:port`, for building nextLinks. */
  baseUrl: string;
}

export interface SimulatorResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  /** Stable name used in the request log and the fault plan. */
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Matched case-insensitively against the path (ARM paths are case-insensitive); named groups become params. */
  pattern: RegExp;
  handle(request: SimulatorRequest): SimulatorResponse | Promise<SimulatorResponse>;
}

export function matchRoute(routes: readonly Route[], method: string, pathname: string): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(pathname);
    if (match) return { route, params: Object.fromEntries(Object.entries(match.groups ?? {}).map(([key, value]) => [key, decodeURIComponent(value)])) };
  }
  return undefined;
}

/** The error body ARM returns: `{"error": {"code", "message"}}`. */
export function armError(status: number, code: string, message: string, headers?: Record<string, string>): SimulatorResponse {
  return { status, body: { error: { code, message } }, ...(headers ? { headers } : {}) };
}
