/**
 * REST bodies as Azure returns them, for `fleetguard snapshot capture` (CONTRACTS.md §2): not our
 * model of them. Every read goes through the same SDK clients, pipelines (credential, retries, TLS,
 * user agent) and api-versions as the sweep's adapters; only the body is kept raw:
 * - ARM GETs through the ContainerService SDK's REST layer (`pathUnchecked`), which returns the
 *   JSON body without the model deserialiser;
 * - Policy Insights through the SDK's own `queryResults` operation, the body taken from its
 *   `onResponse` raw response, every page a POST with `$skiptoken` as in policyInsights.ts;
 * - Log Analytics through `LogsQueryClient`, the body taken from its pipeline (monitor-query-logs
 *   1.0.0 drops `onResponse`, so a pipeline policy reads `bodyAsText` of the request it marked).
 */
import { getContinuationToken, PolicyInsightsClient } from '@azure/arm-policyinsights';
import type { TokenCredential } from '@azure/core-auth';
import { LogsQueryClient } from '@azure/monitor-query-logs';

import type { AzureTarget } from '../config.js';
import { FleetGuardError, reasonFromStatus, toFleetGuardError } from '../errors.js';
import type { Cluster } from '../model/cluster.js';
import { clusterFromArmJson } from './armClusterJson.js';
import { armClientOptions, armScope, type RetrySettings } from './clientOptions.js';
import { CONTAINER_SERVICE_API_VERSION, rawContainerServiceContexts } from './containerService.js';
import { diagnosticSettingsPath } from './diagnosticSettings.js';
import { resourceCentricId } from './logAnalytics.js';
import { clusterStatesFilter, skipTokenOf } from './policyInsights.js';

/** One managed cluster of a listing: its body as ARM returned it, and our reading of it (undefined when it cannot be read). */
export interface RawCluster {
  body: Record<string, unknown>;
  cluster: Cluster | undefined;
  problem?: string;
}

type PipelinePolicy = Parameters<LogsQueryClient['pipeline']['addPolicy']>[0];

/** The header that tells the logs pipeline policy which request to keep the body of; never sent. */
const CAPTURE_HEADER = 'x-fleetguard-capture';

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Reads the bodies a snapshot holds; one instance per capture. */
export class SnapshotBodiesAdapter {
  private readonly rawContext: ReturnType<typeof rawContainerServiceContexts>;
  private readonly policy: PolicyInsightsClient;
  private readonly logs: LogsQueryClient;
  private readonly logBodies = new Map<string, string>();
  private nextMark = 0;

  constructor(
    credential: TokenCredential,
    target: AzureTarget,
    logsEndpoint: string,
    retry: RetrySettings,
    private readonly logsTimeoutSeconds = 120,
  ) {
    this.rawContext = rawContainerServiceContexts(credential, target, retry);
    this.policy = new PolicyInsightsClient(credential, { ...armClientOptions(target, retry), credentialScopes: [armScope(target)] });
    const scope = target.kind === 'simulator' ? 'https://api.loganalytics.io/.default' : `${new URL(logsEndpoint).origin}/.default`;
    this.logs = new LogsQueryClient(credential, {
      endpoint: logsEndpoint,
      credentials: { scopes: [scope] },
      ...(target.kind === 'simulator' ? { tlsOptions: { ca: target.caPem } } : {}),
      retryOptions: retry,
      userAgentOptions: { userAgentPrefix: 'aks-fleet-guard' },
    });
    const bodies = this.logBodies;
    const keepBody: PipelinePolicy = {
      name: 'fleetguardKeepRawBody',
      async sendRequest(request, next) {
        const mark = request.headers.get(CAPTURE_HEADER);
        request.headers.delete(CAPTURE_HEADER);
        const response = await next(request);
        if (mark !== undefined && typeof response.bodyAsText === 'string') bodies.set(mark, response.bodyAsText);
        return response;
      },
    };
    this.logs.pipeline.addPolicy(keepBody);
  }

  private async armGet(subscriptionId: string, pathOrUrl: string, context: string): Promise<Record<string, unknown>> {
    const response = await this.rawContext(subscriptionId).pathUnchecked(pathOrUrl).get();
    const status = Number(response.status);
    if (status !== 200) {
      const error = record(record(response.body)['error']);
      const code = typeof error['code'] === 'string' ? ` ${error['code']}` : '';
      throw new FleetGuardError(reasonFromStatus(status), `${context}: HTTP ${status}${code}`, { status });
    }
    return record(response.body);
  }

  /** Every cluster of a subscription (all pages of GET managedClusters), each body as returned. */
  async listClusters(subscriptionId: string): Promise<RawCluster[]> {
    const context = `listing managed clusters of subscription ${subscriptionId}`;
    const clusters: RawCluster[] = [];
    try {
      let next: string | undefined =
        `/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.ContainerService/managedClusters?api-version=${CONTAINER_SERVICE_API_VERSION}`;
      while (next !== undefined) {
        const page = await this.armGet(subscriptionId, next, context);
        if (!Array.isArray(page['value'])) throw new FleetGuardError('badInput', `${context}: the response has no list of clusters (field: value)`);
        for (const item of page['value'] as unknown[]) {
          try {
            clusters.push({ body: record(item), cluster: clusterFromArmJson(item) });
          } catch (error) {
            clusters.push({ body: record(item), cluster: undefined, problem: (error as Error).message });
          }
        }
        next = typeof page['nextLink'] === 'string' && page['nextLink'] !== '' ? page['nextLink'] : undefined;
      }
    } catch (error) {
      throw toFleetGuardError(error, context);
    }
    return clusters;
  }

  /** Body of GET .../locations/{location}/kubernetesVersions. */
  async kubernetesVersions(subscriptionId: string, location: string): Promise<Record<string, unknown>> {
    const context = `listing Kubernetes versions of location ${location}`;
    try {
      return await this.armGet(
        subscriptionId,
        `/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.ContainerService/locations/${encodeURIComponent(location)}/kubernetesVersions?api-version=${CONTAINER_SERVICE_API_VERSION}`,
        context,
      );
    } catch (error) {
      throw toFleetGuardError(error, context);
    }
  }

  /** Body of DiagnosticSettings_List of one cluster (one page: the operation has no nextLink). */
  async diagnosticSettings(cluster: Cluster): Promise<Record<string, unknown>> {
    const context = `reading the diagnostic settings of cluster ${cluster.name}`;
    try {
      return await this.armGet(cluster.subscriptionId, diagnosticSettingsPath(cluster.id), context);
    } catch (error) {
      throw toFleetGuardError(error, context);
    }
  }

  /**
   * The `value` entries of every page of POST .../policyStates/latest/queryResults over the
   * subscription's clusters and agent pools, every column (compliant states too, so compliance
   * percentages come out the same offline).
   */
  async policyStates(subscriptionId: string): Promise<Record<string, unknown>[]> {
    const states: Record<string, unknown>[] = [];
    const seen = new Set<string>();
    let skipToken: string | undefined;
    try {
      for (;;) {
        let body: unknown;
        const iterator = this.policy.policyStates
          .listQueryResultsForSubscription('latest', subscriptionId, {
            queryOptions: { filter: clusterStatesFilter({ nonCompliantOnly: false }), ...(skipToken === undefined ? {} : { skipToken }) },
            onResponse: (response) => {
              body = response.parsedBody;
            },
          })
          .byPage();
        const first = await iterator.next();
        await iterator.return?.(undefined);
        const value = record(body)['value'];
        if (Array.isArray(value)) states.push(...value.map(record));
        if (first.done === true) return states;
        const nextLink = getContinuationToken(first.value);
        if (nextLink === undefined || nextLink === '') return states;
        skipToken = skipTokenOf(nextLink);
        if (seen.has(skipToken)) throw new FleetGuardError('serverError', `Policy Insights returned the same $skiptoken twice (${skipToken})`);
        seen.add(skipToken);
      }
    } catch (error) {
      throw toFleetGuardError(error, `querying policy states of subscription ${subscriptionId}`);
    }
  }

  /** The body of one resource-centric Log Analytics query (`{"tables": [...]}`, with `error` on a partial result). */
  async queryLogs(workspaceResourceId: string, query: string, lookbackMinutes: number): Promise<Record<string, unknown>> {
    const mark = String((this.nextMark += 1));
    try {
      await this.logs.queryResource(
        resourceCentricId(workspaceResourceId),
        query,
        { duration: `PT${lookbackMinutes}M` },
        {
          serverTimeoutInSeconds: this.logsTimeoutSeconds,
          requestOptions: { timeout: this.logsTimeoutSeconds * 1000, headers: { [CAPTURE_HEADER]: mark } },
        },
      );
      const text = this.logBodies.get(mark);
      if (text === undefined) throw new FleetGuardError('serverError', 'query: the response had no body');
      return record(JSON.parse(text) as unknown);
    } catch (error) {
      throw toFleetGuardError(error, `query of workspace ${workspaceResourceId}`);
    } finally {
      this.logBodies.delete(mark);
    }
  }
}
