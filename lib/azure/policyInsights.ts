import { type ComponentPolicyState, getContinuationToken, PolicyInsightsClient, type PolicyState, type QueryOptions } from '@azure/arm-policyinsights';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';

import type { AzureTarget } from '../config.js';
import { FleetGuardError, toFleetGuardError } from '../errors.js';
import type { ComplianceCount, PolicyComponentRecord, PolicyStateRecord } from '../model/policyState.js';
import { odataString } from '../odata.js';
import { POLICY_COMPONENTS_TOP, POLICY_INSIGHTS_BUCKET } from '../serviceLimits.js';
import { armClientOptions, armScope, type RetrySettings } from './clientOptions.js';
import { ArmReadBuckets, subscriptionOfUrl } from './requestLimiter.js';

/** Resource types of a cluster and of the resources under it that Azure Policy evaluates. */
export const CLUSTER_RESOURCE_TYPES = ['Microsoft.ContainerService/managedClusters', 'Microsoft.ContainerService/managedClusters/agentPools'];

/** Only the columns the policy rules read. */
export const POLICY_STATE_COLUMNS = [
  'timestamp',
  'resourceId',
  'resourceType',
  'policyAssignmentId',
  'policyAssignmentName',
  'policyDefinitionId',
  'policyDefinitionName',
  'policyDefinitionAction',
  'policySetDefinitionId',
  'complianceState',
];

/**
 * `$filter` for the states of AKS clusters and the resources under them. Policy Insights writes
 * `resourceType` both with and without a leading slash, so both spellings are matched.
 */
export function clusterStatesFilter(options: { nonCompliantOnly: boolean }): string {
  const types = CLUSTER_RESOURCE_TYPES.flatMap((type) => [type, `/${type}`]).map((type) => `resourceType eq ${odataString(type)}`);
  const typeClause = `(${types.join(' or ')})`;
  return options.nonCompliantOnly ? `complianceState eq ${odataString('NonCompliant')} and ${typeClause}` : typeClause;
}

/** `$apply` that counts states per resource and compliance state, for compliance percentages. */
export const COMPLIANCE_SUMMARY_APPLY = 'groupby((resourceId, complianceState), aggregate($count as count))';

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function toPolicyStateRecord(state: PolicyState): PolicyStateRecord | undefined {
  const resourceId = text(state.resourceId);
  const policyDefinitionId = text(state.policyDefinitionId);
  if (resourceId === undefined || policyDefinitionId === undefined) return undefined;
  const policyAssignmentId = text(state.policyAssignmentId) ?? '';
  return {
    resourceId,
    resourceType: text(state.resourceType) ?? '',
    policyAssignmentId,
    policyAssignmentName: text(state.policyAssignmentName) ?? policyAssignmentId.split('/').at(-1) ?? '',
    policyDefinitionId,
    policyDefinitionName: text(state.policyDefinitionName) ?? policyDefinitionId.split('/').at(-1) ?? '',
    policyDefinitionAction: text(state.policyDefinitionAction) ?? '',
    policySetDefinitionId: text(state.policySetDefinitionId),
    complianceState: text(state.complianceState) ?? (state.isCompliant === true ? 'Compliant' : state.isCompliant === false ? 'NonCompliant' : 'Unknown'),
    timestamp: state.timestamp instanceof Date && !Number.isNaN(state.timestamp.getTime()) ? state.timestamp.toISOString() : undefined,
  };
}

/** `$filter` of the component states a POLICY-NONCOMPLIANT finding names: the non-compliant ones. */
export const NON_COMPLIANT_COMPONENTS_FILTER = `complianceState eq ${odataString('NonCompliant')}`;

/**
 * `$filter` of a subscription's non-compliant component states that belong to AKS clusters. The
 * service writes a component's `resourceType` with a leading slash (`/Microsoft.ContainerService/managedClusters`
 * in ComponentPolicyStates_QueryResourceScopeExpandPolicyEvaluationDetails.json, 2024-10-01); both
 * spellings are matched, as for policy states. Leaves out the components of other Resource Provider
 * mode policies (Key Vault certificates, Arc clusters) the subscription may hold.
 */
export const CLUSTER_COMPONENTS_FILTER = `${NON_COMPLIANT_COMPONENTS_FILTER} and (${[CLUSTER_RESOURCE_TYPES[0] ?? '', `/${CLUSTER_RESOURCE_TYPES[0] ?? ''}`]
  .map((type) => `resourceType eq ${odataString(type)}`)
  .join(' or ')})`;

/** A subscription's non-compliant cluster components, and whether the answer holds all of them. */
export interface SubscriptionComponents {
  records: PolicyComponentRecord[];
  /** False when the answer reached `$top`: the unpaged operation may have left rows out. */
  complete: boolean;
}

/**
 * ARM's write buckets as this process's identity spends them on Policy Insights queries, one set per
 * target (like the read buckets of clientOptions.ts), so the sweep, the event reaction and the rollout
 * gate of one process draw on one estimate per subscription.
 */
const policyBuckets = new WeakMap<AzureTarget, ArmReadBuckets>();

/** The Policy Insights buckets of a target (tests and diagnostics). */
export function policyInsightsBuckets(target: AzureTarget): ArmReadBuckets {
  let buckets = policyBuckets.get(target);
  if (buckets === undefined) {
    buckets = new ArmReadBuckets(undefined, POLICY_INSIGHTS_BUCKET, 'x-ms-ratelimit-remaining-subscription-writes');
    policyBuckets.set(target, buckets);
  }
  return buckets;
}

/**
 * Paces the POSTs of Policy Insights under a subscription by `POLICY_INSIGHTS_BUCKET` (lib/serviceLimits.ts,
 * sources there): each attempt waits for a token of its subscription; an answer's remaining writes
 * lower the estimate and a 429 empties it until `Retry-After` (requestLimiter.ts).
 */
export function policyInsightsBucketPolicy(buckets: ArmReadBuckets): PipelinePolicy {
  return {
    name: 'policyInsightsBucketPolicy',
    async sendRequest(request, next) {
      const subscriptionId = request.method === 'POST' ? subscriptionOfUrl(request.url) : undefined;
      if (subscriptionId === undefined) return next(request);
      await buckets.take(subscriptionId);
      const response = await next(request);
      buckets.observe(subscriptionId, response);
      return response;
    },
  };
}

export function toPolicyComponentRecord(state: ComponentPolicyState): PolicyComponentRecord | undefined {
  const resourceId = text(state.resourceId);
  const policyDefinitionId = text(state.policyDefinitionId);
  const componentId = text(state.componentId) ?? text(state.componentName);
  if (resourceId === undefined || policyDefinitionId === undefined || componentId === undefined) return undefined;
  return {
    resourceId,
    policyDefinitionId,
    policyAssignmentId: text(state.policyAssignmentId) ?? '',
    componentType: text(state.componentType) ?? '',
    componentId,
    componentName: text(state.componentName) ?? componentId.split('/').at(-1) ?? componentId,
    complianceState: text(state.complianceState) ?? 'Unknown',
  };
}

/**
 * The `$skiptoken` a Policy Insights `@odata.nextLink` carries ("Skiptoken is only provided if a
 * previous response returned a partial result as a part of nextLink element": the `$skiptoken`
 * parameter of policyStates.json, 2024-10-01).
 */
export function skipTokenOf(nextLink: string): string {
  let token: string | null = null;
  try {
    token = new URL(nextLink).searchParams.get('$skiptoken');
  } catch {
    // Not a URL: reported below like a link without a token.
  }
  if (token === null || token === '') throw new FleetGuardError('serverError', `Policy Insights returned an @odata.nextLink without a $skiptoken: ${nextLink}`);
  return token;
}

/**
 * Azure Policy compliance through Policy Insights: one query per subscription.
 *
 * Every page is a POST of `queryResults`. The service refuses the GET that `@azure/arm-policyinsights`
 * 6.0.0 sends for `@odata.nextLink` (`HttpMethodNotSupported`, or 404 `ResourceTypeNotSupported`:
 * Azure/azure-sdk-for-python#17280, Azure/azure-cli#20370 and #22173, Azure/azure-sdk-for-js#36686);
 * the official next page (`PolicyStates_QuerySubscriptionScopeNextLink.json`, 2024-10-01) is the same
 * POST with `$skiptoken`. So the pages are walked here: each one is the SDK's own operation, sent
 * with the same query options plus the `$skiptoken` of the previous page's nextLink. The sweep's
 * policy stage, the Event Grid policy reaction and the rollout health gate all read through this.
 */
export class PolicyInsightsAdapter {
  private readonly client: PolicyInsightsClient;

  constructor(credential: TokenCredential, target: AzureTarget, retry: RetrySettings) {
    const options = armClientOptions(target, retry);
    this.client = new PolicyInsightsClient(credential, {
      ...options,
      additionalPolicies: [...options.additionalPolicies, { policy: policyInsightsBucketPolicy(policyInsightsBuckets(target)), position: 'perRetry' }],
      credentialScopes: [armScope(target)],
    });
  }

  /** Latest non-compliant states of the subscription's clusters and their agent pools. */
  listNonCompliantClusterStates(subscriptionId: string): Promise<PolicyStateRecord[]> {
    return this.nonCompliantStates(subscriptionId, undefined);
  }

  /** The same, for one resource group: what an event about one cluster needs. */
  listNonCompliantClusterStatesInResourceGroup(subscriptionId: string, resourceGroup: string): Promise<PolicyStateRecord[]> {
    return this.nonCompliantStates(subscriptionId, resourceGroup);
  }

  /**
   * The pages of one `latest` query over a subscription, each fetched by POST. Only the first page
   * of each SDK iterator is read: asking it for a second would make it GET the nextLink.
   */
  private async *pages(subscriptionId: string, queryOptions: QueryOptions): AsyncGenerator<PolicyState[]> {
    const seen = new Set<string>();
    let skipToken: string | undefined;
    for (;;) {
      const iterator = this.client.policyStates
        .listQueryResultsForSubscription('latest', subscriptionId, { queryOptions: skipToken === undefined ? queryOptions : { ...queryOptions, skipToken } })
        .byPage();
      const first = await iterator.next();
      await iterator.return?.(undefined);
      if (first.done === true) return;
      yield first.value;
      const nextLink = getContinuationToken(first.value);
      if (nextLink === undefined || nextLink === '') return;
      skipToken = skipTokenOf(nextLink);
      // A service that hands back a token it already gave would page forever.
      if (seen.has(skipToken)) throw new FleetGuardError('serverError', `Policy Insights returned the same $skiptoken twice (${skipToken})`);
      seen.add(skipToken);
    }
  }

  private async nonCompliantStates(subscriptionId: string, resourceGroup: string | undefined): Promise<PolicyStateRecord[]> {
    const records: PolicyStateRecord[] = [];
    const filter = clusterStatesFilter({ nonCompliantOnly: true }) + (resourceGroup === undefined ? '' : ` and resourceGroup eq ${odataString(resourceGroup)}`);
    try {
      for await (const page of this.pages(subscriptionId, { filter, select: POLICY_STATE_COLUMNS.join(',') })) {
        for (const state of page) {
          const record = toPolicyStateRecord(state);
          if (record !== undefined) records.push(record);
        }
      }
    } catch (error) {
      throw toFleetGuardError(error, `querying policy states of subscription ${subscriptionId}`);
    }
    return records;
  }

  /**
   * The non-compliant components (pods, namespaces, ...) the Azure Policy add-on reports inside one
   * cluster: one POST of `componentPolicyStates/latest/queryResults` for the resource. The operation
   * has no paging (`ComponentPolicyStatesQueryResults` has no nextLink, componentPolicyStates.json
   * 2024-10-01). The SDK sends `resourceId` unencoded after a `/` (`x-ms-skip-url-encoding`), so the
   * id goes without its leading slash, as the official example writes it.
   */
  async listNonCompliantComponents(clusterId: string): Promise<PolicyComponentRecord[]> {
    try {
      const result = await this.client.componentPolicyStates.listQueryResultsForResource(clusterId.replace(/^\/+/, ''), 'latest', {
        filter: NON_COMPLIANT_COMPONENTS_FILTER,
      });
      return (result.value ?? []).flatMap((state) => toPolicyComponentRecord(state) ?? []);
    } catch (error) {
      throw toFleetGuardError(error, `querying component policy states of cluster ${clusterId}`);
    }
  }

  /**
   * The non-compliant components of all AKS clusters of a subscription in one POST of
   * `componentPolicyStates/latest/queryResults` at subscription scope
   * (`ComponentPolicyStates_ListQueryResultsForSubscription`, componentPolicyStates.json 2024-10-01;
   * example ComponentPolicyStates_QuerySubscriptionScope.json). That operation takes `$filter` and
   * `$top` but no `$expand`, and `policyStates` at subscription scope takes no `$expand=components`
   * (the parameter is on the resource-scope operation only, policyStates.json): so this, not an
   * expanded states query, is the per-subscription read. It has no paging either: `$top` is
   * `POLICY_COMPONENTS_TOP`, and an answer that fills it is flagged incomplete.
   */
  async listNonCompliantComponentsInSubscription(subscriptionId: string): Promise<SubscriptionComponents> {
    try {
      const result = await this.client.componentPolicyStates.listQueryResultsForSubscription(subscriptionId, 'latest', {
        filter: CLUSTER_COMPONENTS_FILTER,
        top: POLICY_COMPONENTS_TOP,
      });
      const rows = result.value ?? [];
      return { records: rows.flatMap((state) => toPolicyComponentRecord(state) ?? []), complete: rows.length < POLICY_COMPONENTS_TOP };
    } catch (error) {
      throw toFleetGuardError(error, `querying component policy states of subscription ${subscriptionId}`);
    }
  }

  /** Counts of latest states per cluster resource and compliance state (server-side aggregation). */
  async summarizeClusterCompliance(subscriptionId: string): Promise<ComplianceCount[]> {
    const counts: ComplianceCount[] = [];
    try {
      for await (const page of this.pages(subscriptionId, { filter: clusterStatesFilter({ nonCompliantOnly: false }), apply: COMPLIANCE_SUMMARY_APPLY })) {
        for (const row of page) {
          const count = (row as Record<string, unknown>)['count'];
          const resourceId = text(row.resourceId);
          if (resourceId === undefined || typeof count !== 'number') continue;
          counts.push({ resourceId, complianceState: text(row.complianceState) ?? 'Unknown', count });
        }
      }
    } catch (error) {
      throw toFleetGuardError(error, `summarizing policy compliance of subscription ${subscriptionId}`);
    }
    return counts;
  }
}
