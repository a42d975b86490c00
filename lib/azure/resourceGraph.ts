/**
 * Inventory through Azure Resource Graph: one paged query across many subscriptions instead of one
 * list call per subscription. Resource Graph takes up to 1,000 subscriptions per request and
 * returns up to 1,000 rows per page, chained with `$skipToken`; a truncated result is an error,
 * never a silently short inventory.
 */
import { type QueryRequest, type QueryRequestOptions, type QueryResponse, ResourceGraphClient } from '@azure/arm-resourcegraph';
import type { TokenCredential } from '@azure/core-auth';
import type { LimitFunction } from 'p-limit';

import type { AzureTarget } from '../config.js';
import { FleetGuardError, toFleetGuardError } from '../errors.js';
import type { ClusterListing } from '../model/cluster.js';
import { parseResourceId } from '../model/cluster.js';
import type { ComplianceCount, PolicyDefinitionName, PolicyStateRecord } from '../model/policyState.js';
import { clusterFromArmJson } from './armClusterJson.js';
import { armClientOptions, armScope, type RetrySettings } from './clientOptions.js';
import { POLICY_DEFINITION_IDS_PER_QUERY, policyDefinitionsQuery, toPolicyDefinitionName } from './policyDefinitions.js';
import { toPolicyStateRecord } from './policyInsights.js';
import { RESOURCE_GRAPH_QUERIES, type ResourceGraphQueryName } from './resourceGraphQueries.js';
import { type QuotaClock, ResourceGraphQuotaPacer, resourceGraphRetryPolicy } from './resourceGraphQuota.js';

/**
 * The newest stable api-version in Azure/azure-rest-api-specs
 * (`specification/resourcegraph/resource-manager/Microsoft.ResourceGraph/stable/2024-04-01/resourcegraph.json`);
 * the 5.0.0-beta.4 SDK defaults to a preview one. Its `resources` request and response are the
 * same as 2022-10-01's.
 */
export const RESOURCE_GRAPH_API_VERSION = '2024-04-01';
/**
 * Clouds that do not have 2024-04-01 yet answer 404 `InvalidResourceType` listing the versions they
 * have (AzureUSGovernment in 2025: microsoft/ARI#306, Azure/Well-Architected-Reliability-Assessment#157);
 * the adapter then uses the previous stable one, which has the same shapes.
 */
export const RESOURCE_GRAPH_FALLBACK_API_VERSION = '2022-10-01';
const MAX_SUBSCRIPTIONS_PER_REQUEST = 1000;
const PAGE_SIZE = 1000;
/**
 * Resource Graph allows an identity about 15 queries per 5-second window (see resourceGraphQuota.ts;
 * the pacer holds queries back beyond it): a query is split into at most this many requests.
 */
const MAX_PARALLEL_REQUESTS = 4;
/** How long the policy stage may reuse the cluster listing's answer: longer than any sweep. */
const READABLE_TTL_MS = 10 * 60_000;

type Row = Record<string, unknown>;

/**
 * The rows of an `objectArray` result. The SDK's mapper declares `data` as a dictionary, so its
 * deserialiser hands the array back as an object keyed "0", "1", ...; both shapes are accepted.
 */
function objectArray(data: unknown, name: string): Row[] {
  const values = Array.isArray(data)
    ? data
    : typeof data === 'object' && data !== null && Object.keys(data).every((key) => /^\d+$/.test(key))
      ? Object.entries(data)
          .sort(([left], [right]) => Number(left) - Number(right))
          .map(([, row]) => row as unknown)
      : undefined;
  if (values === undefined || !values.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row))) {
    throw new FleetGuardError('serverError', `Resource Graph query '${name}' returned data that is not an object array (field: data)`);
  }
  return values as Row[];
}

/** Whether an error is the cloud saying it does not have this api-version of `resources`. */
function isUnsupportedApiVersion(error: unknown): boolean {
  const { statusCode, code, message } = (typeof error === 'object' && error !== null ? error : {}) as {
    statusCode?: unknown;
    code?: unknown;
    message?: unknown;
  };
  return statusCode === 404 && code === 'InvalidResourceType' && typeof message === 'string' && message.includes(RESOURCE_GRAPH_FALLBACK_API_VERSION);
}

export interface ResourceGraphAdapterOptions {
  /** The pacer's clock (tests pass a virtual one). */
  clock?: QuotaClock;
}

export class ResourceGraphAdapter {
  private client: ResourceGraphClient;
  private readonly makeClient: (apiVersion: string) => ResourceGraphClient;
  private readable: { key: string; at: number; value: Set<string> } | undefined;
  /** One quota per identity: every request of this adapter draws on it. */
  private readonly pacer: ResourceGraphQuotaPacer;

  constructor(credential: TokenCredential, target: AzureTarget, retry: RetrySettings, options: ResourceGraphAdapterOptions = {}) {
    this.pacer = new ResourceGraphQuotaPacer(options.clock);
    const policy = resourceGraphRetryPolicy(this.pacer, retry);
    this.makeClient = (apiVersion) =>
      new ResourceGraphClient(credential, {
        ...armClientOptions(target, retry),
        // The SDK's retry policy skips a 429 without Retry-After: this client retries with its own.
        retryOptions: { ...retry, maxRetries: 0 },
        additionalPolicies: [{ policy, position: 'perRetry' }],
        apiVersion,
        credentialScopes: [armScope(target)],
      });
    this.client = this.makeClient(RESOURCE_GRAPH_API_VERSION);
  }

  /** One `resources` call, moving to the fallback api-version for good when the cloud lacks the newest. */
  private async resources(request: QueryRequest): Promise<QueryResponse> {
    try {
      return await this.client.resources(request);
    } catch (error) {
      if (!isUnsupportedApiVersion(error)) throw error;
      this.client = this.makeClient(RESOURCE_GRAPH_FALLBACK_API_VERSION);
      return this.client.resources(request);
    }
  }

  /**
   * Every row of a query over the subscriptions. Pages of one request follow each other
   * (`$skipToken`), so the subscriptions are split into as many requests as `slots` allows, each
   * paging on its own slot: the pages of a large fleet run side by side instead of in one chain.
   */
  async queryAll(name: ResourceGraphQueryName, subscriptions: readonly string[], slots?: LimitFunction): Promise<Row[]> {
    const requests = Math.max(1, Math.min(slots?.concurrency ?? 1, MAX_PARALLEL_REQUESTS, subscriptions.length));
    const perRequest = Math.min(MAX_SUBSCRIPTIONS_PER_REQUEST, Math.ceil(subscriptions.length / requests));
    const batches: string[][] = [];
    for (let start = 0; start < subscriptions.length; start += perRequest) batches.push(subscriptions.slice(start, start + perRequest));
    const run = slots ?? ((task: () => Promise<Row[]>) => task());
    const results = await Promise.all(batches.map((batch) => run(() => this.queryPages(name, RESOURCE_GRAPH_QUERIES[name], batch))));
    return results.flat();
  }

  /** `name` labels the query in messages; `options` are further `QueryRequestOptions`. */
  private async queryPages(
    name: string,
    query: string,
    batch: readonly string[],
    options: Pick<QueryRequestOptions, 'authorizationScopeFilter'> = {},
  ): Promise<Row[]> {
    const rows: Row[] = [];
    let skipToken: string | undefined;
    do {
      let response;
      try {
        response = await this.resources({
          subscriptions: [...batch],
          query,
          options: { ...options, resultFormat: 'objectArray', top: PAGE_SIZE, ...(skipToken === undefined ? {} : { skipToken }) },
        });
      } catch (error) {
        throw toFleetGuardError(error, `Resource Graph query '${name}' over ${batch.length} subscription(s)`);
      }
      if (response.resultTruncated === 'true' && response.skipToken === undefined) {
        throw new FleetGuardError('serverError', `Resource Graph query '${name}' returned a truncated result without a $skipToken`);
      }
      rows.push(...objectArray(response.data, name));
      skipToken = response.skipToken;
    } while (skipToken !== undefined);
    return rows;
  }

  /**
   * Which of the subscriptions the identity can read at subscription scope (lower-cased). The
   * cluster listing always asks afresh (access may have been revoked since the last sweep); the
   * policy stage of the same sweep reuses that answer.
   */
  async readableSubscriptions(subscriptions: readonly string[], options: { fresh?: boolean } = {}): Promise<Set<string>> {
    const key = subscriptions
      .map((id) => id.toLowerCase())
      .sort()
      .join(',');
    if (options.fresh === true || this.readable?.key !== key || Date.now() - this.readable.at > READABLE_TTL_MS) {
      // One request: the answer is one small row per subscription.
      const rows = await this.queryAll('subscriptions', subscriptions);
      const readable = new Set(rows.map((row) => (typeof row['subscriptionId'] === 'string' ? row['subscriptionId'].toLowerCase() : '')).filter(Boolean));
      this.readable = { key, at: Date.now(), value: readable };
    }
    return this.readable.value;
  }

  /**
   * The clusters of the readable subscriptions, by lower-cased subscription id. Subscriptions
   * missing from the map were not vouched for and must be listed per subscription.
   */
  async listClusters(subscriptions: readonly string[], slots?: LimitFunction): Promise<Map<string, ClusterListing>> {
    const readable = await (slots ?? ((task: () => Promise<Set<string>>) => task()))(() => this.readableSubscriptions(subscriptions, { fresh: true }));
    const vouched = subscriptions.filter((id) => readable.has(id.toLowerCase()));
    const listings = new Map<string, ClusterListing>(vouched.map((id) => [id.toLowerCase(), { clusters: [], rejected: [] }]));
    if (vouched.length === 0) return listings;
    for (const row of await this.queryAll('clusters', vouched, slots)) {
      const id = typeof row['id'] === 'string' ? row['id'] : '';
      const subscriptionId = (typeof row['subscriptionId'] === 'string' ? row['subscriptionId'] : (parseResourceId(id).subscriptionId ?? '')).toLowerCase();
      const listing = listings.get(subscriptionId);
      if (listing === undefined) continue; // outside the requested scope: never attributed to a swept subscription
      try {
        listing.clusters.push(clusterFromArmJson(row));
      } catch (error) {
        listing.rejected.push({ name: typeof row['name'] === 'string' ? row['name'] : id || '?', problem: (error as Error).message });
      }
    }
    return listings;
  }

  async listNonCompliantClusterStates(subscriptions: readonly string[], slots?: LimitFunction): Promise<PolicyStateRecord[]> {
    const records: PolicyStateRecord[] = [];
    for (const row of await this.queryAll('policy-states', subscriptions, slots)) {
      const timestamp = typeof row['timestamp'] === 'string' ? new Date(row['timestamp']) : undefined;
      const record = toPolicyStateRecord({ ...row, timestamp });
      if (record !== undefined) records.push(record);
    }
    return records;
  }

  async summarizeClusterCompliance(subscriptions: readonly string[], slots?: LimitFunction): Promise<ComplianceCount[]> {
    const counts: ComplianceCount[] = [];
    for (const row of await this.queryAll('policy-summary', subscriptions, slots)) {
      const count = row['stateCount'];
      if (typeof row['id'] !== 'string' || typeof count !== 'number') continue;
      counts.push({
        resourceId: row['id'],
        complianceState: typeof row['complianceState'] === 'string' && row['complianceState'] !== '' ? row['complianceState'] : 'Unknown',
        count,
      });
    }
    return counts;
  }

  /**
   * The display names of these policy definition and initiative ids, in one query over the
   * subscriptions (more only past {@link POLICY_DEFINITION_IDS_PER_QUERY} ids). `AtScopeAndAbove`:
   * definitions live at the subscriptions, the management groups above them and the tenant
   * (built-ins). Ids Resource Graph does not return are missing from the answer.
   */
  async listPolicyDefinitionNames(ids: readonly string[], subscriptions: readonly string[]): Promise<PolicyDefinitionName[]> {
    const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
    const names: PolicyDefinitionName[] = [];
    if (unique.length === 0 || subscriptions.length === 0) return names;
    const scope = subscriptions.slice(0, MAX_SUBSCRIPTIONS_PER_REQUEST);
    for (let start = 0; start < unique.length; start += POLICY_DEFINITION_IDS_PER_QUERY) {
      const query = policyDefinitionsQuery(unique.slice(start, start + POLICY_DEFINITION_IDS_PER_QUERY));
      for (const row of await this.queryPages('policy-definitions', query, scope, { authorizationScopeFilter: 'AtScopeAndAbove' })) {
        const name = toPolicyDefinitionName(row);
        if (name !== undefined) names.push(name);
      }
    }
    return names;
  }

  /**
   * Clusters per readable subscription (lower-cased id), in one request per 1,000 subscriptions
   * (one small row each). Subscriptions without clusters, or that the identity cannot read, are absent.
   */
  async countClusters(subscriptions: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const row of await this.queryAll('cluster-counts', subscriptions)) {
      const count = row['clusterCount'];
      if (typeof row['id'] === 'string' && typeof count === 'number') counts.set(row['id'].toLowerCase(), count);
    }
    return counts;
  }
}
