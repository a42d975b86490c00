import type { TokenCredential } from '@azure/core-auth';
import { LogsQueryClient, LogsQueryResultStatus, type LogsTable } from '@azure/monitor-query-logs';

import type { AzureTarget } from '../config.js';
import { FleetGuardError, toFleetGuardError } from '../errors.js';
import type { LogsQueryOutcome } from '../model/logsQuery.js';
import { LOG_ANALYTICS_LIMITS } from '../serviceLimits.js';
import type { RetrySettings } from './clientOptions.js';
import { RequestLimiter, requestLimiterPolicy } from './requestLimiter.js';
import type { QuotaClock } from './resourceGraphQuota.js';

function tableRows(table: LogsTable | undefined): Record<string, unknown>[] {
  if (table === undefined) return [];
  const names = table.columnDescriptors.map((column) => column.name ?? '');
  return table.rows.map((row) => Object.fromEntries(names.map((name, index) => [name, row[index]])));
}

/**
 * The resource id as the resource-centric query path takes it: without its leading slash. The
 * official example (`la-post-resource-centric-example.json`, 2022-10-27) writes it so, and
 * `@azure/monitor-query-logs` 1.0.0 expands `/{+resourceId}/query` after the endpoint's `/v1`
 * keeping every slash, so an ARM id passed as ARM writes it would be sent as `/v1//subscriptions/...`.
 */
export function resourceCentricId(resourceId: string): string {
  return resourceId.replace(/^\/+/, '');
}

/**
 * Log Analytics queries, resource-centric: a workspace is addressed by its ARM resource id (what
 * clusters reference), which needs no extra lookup of the workspace's customer id.
 */
export class LogAnalyticsAdapter {
  private readonly client: LogsQueryClient;
  /**
   * Every query of this identity (the sweep's, the health gates') within Log Analytics' per-user
   * limits: 5 in flight, 200 per 30 s across workspaces, none while a 429's Retry-After runs.
   */
  private readonly limiter: RequestLimiter;

  constructor(
    credential: TokenCredential,
    target: AzureTarget,
    endpoint: string,
    retry: RetrySettings,
    /** Client-side limit per query: a workspace that never answers must not hold the sweep. */
    private readonly timeoutSeconds = 120,
    clock?: QuotaClock,
  ) {
    this.limiter = new RequestLimiter(
      { concurrency: LOG_ANALYTICS_LIMITS.concurrency, window: { requests: LOG_ANALYTICS_LIMITS.queriesPerWindow, windowMs: LOG_ANALYTICS_LIMITS.windowMs } },
      clock,
    );
    const scope = target.kind === 'simulator' ? 'https://api.loganalytics.io/.default' : `${new URL(endpoint).origin}/.default`;
    this.client = new LogsQueryClient(credential, {
      endpoint,
      credentials: { scopes: [scope] },
      ...(target.kind === 'simulator' ? { tlsOptions: { ca: target.caPem } } : {}),
      retryOptions: retry,
      userAgentOptions: { userAgentPrefix: 'aks-fleet-guard' },
      additionalPolicies: [{ policy: requestLimiterPolicy(this.limiter, 'logAnalyticsLimiter'), position: 'perRetry' }],
    });
  }

  async query(workspaceResourceId: string, query: string, lookbackMinutes: number): Promise<LogsQueryOutcome> {
    try {
      const result = await this.client.queryResource(
        resourceCentricId(workspaceResourceId),
        query,
        { duration: `PT${lookbackMinutes}M` },
        // The server is asked to stop at the same time; the client-side timeout covers a server (or
        // a network) that does not answer at all. It is `requestOptions.timeout` because
        // monitor-query-logs 1.0.0 drops `abortSignal` when it converts the query options.
        { serverTimeoutInSeconds: this.timeoutSeconds, requestOptions: { timeout: this.timeoutSeconds * 1000 } },
      );
      if (result.status === LogsQueryResultStatus.Success) return { rows: tableRows(result.tables[0]), partialError: undefined };
      const error = result.partialError;
      return { rows: tableRows(result.partialTables[0]), partialError: `${error.code ?? 'PartialError'}: ${error.message ?? 'partial result'}` };
    } catch (error) {
      if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
        throw new FleetGuardError('serverError', `query: no answer within ${this.timeoutSeconds} s (timed out)`, { cause: error });
      }
      throw toFleetGuardError(error, 'query');
    }
  }
}
