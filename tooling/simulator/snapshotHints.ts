/**
 * What a snapshot file that has the wrong layout most likely is, and the one command that writes the
 * right one (README, "By hand, with `az` and `kubectl`"). `az aks list`, `az policy state list` and
 * `az monitor log-analytics query` print the CLI's own models (a top-level array, no `properties`),
 * not the REST bodies CONTRACTS.md §2 asks for; `az rest` prints the REST body as the service sent it.
 * Every value placed in a suggested command goes through lib/shellWord.ts.
 */
import { CONTAINER_SERVICE_API_VERSION } from '../../lib/azure/containerService.js';
import { shellWord } from '../../lib/shellWord.js';

export type SnapshotFileKind =
  'managedClusters' | 'kubernetesVersions' | 'policyStates' | 'componentPolicyStates' | 'policyDefinitions' | 'diagnosticSettings' | 'logs';

/** The expected layout of each file, in one line. */
export const SNAPSHOT_LAYOUT: Record<SnapshotFileKind, string> = {
  managedClusters: 'the ARM list body {"value": [cluster, ...]}, each cluster with its "properties"',
  kubernetesVersions: 'the kubernetesVersions body {"values": [{"version": "1.31", "patchVersions": {...}}, ...]}',
  policyStates: 'the queryResults body {"value": [state, ...]}',
  componentPolicyStates: 'the queryResults body {"value": [state, ...]}',
  policyDefinitions: 'the definitions {"value": [{"id", "name", "type", "properties": {"displayName"}}, ...]}',
  diagnosticSettings: 'cluster id → the diagnosticSettings list body {"/subscriptions/.../managedClusters/x": {"value": [setting, ...]}}',
  logs: 'the Log Analytics query body {"tables": [{"name", "columns", "rows"}]}',
};

/** What the hint may fill in: the subscription and location of the fleet, when known. */
export interface HintContext {
  file: string;
  subscriptionId?: string | undefined;
  location?: string | undefined;
}

const PLACEHOLDER_SUBSCRIPTION = 'SUBSCRIPTION_ID';

function azRestGet(url: string, file: string): string {
  return `az rest --method get --url ${shellWord(url)} > ${shellWord(file)}`;
}

function clustersCommand(context: HintContext): string {
  const subscription = context.subscriptionId ?? PLACEHOLDER_SUBSCRIPTION;
  return azRestGet(
    `/subscriptions/${subscription}/providers/Microsoft.ContainerService/managedClusters?api-version=${CONTAINER_SERVICE_API_VERSION}`,
    context.file,
  );
}

function versionsCommand(context: HintContext): string {
  const subscription = context.subscriptionId ?? PLACEHOLDER_SUBSCRIPTION;
  const location = context.location ?? 'LOCATION';
  return azRestGet(
    `/subscriptions/${subscription}/providers/Microsoft.ContainerService/locations/${location}/kubernetesVersions?api-version=${CONTAINER_SERVICE_API_VERSION}`,
    context.file,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A cluster in the az CLI's flattened model: its properties at the top, no `properties`. */
function isFlattenedCluster(value: unknown): boolean {
  return isObject(value) && !('properties' in value) && ('kubernetesVersion' in value || 'provisioningState' in value || 'agentPoolProfiles' in value);
}

/** The subscription of the first `/subscriptions/{id}/...` id among `items`, to fill in a command. */
export function subscriptionOf(items: unknown): string | undefined {
  if (!Array.isArray(items)) return undefined;
  for (const item of items) {
    const id = isObject(item) ? item['id'] : undefined;
    const match = typeof id === 'string' ? /^\/subscriptions\/([^/]+)\//i.exec(id) : null;
    if (match?.[1] !== undefined) return match[1];
  }
  return undefined;
}

/**
 * The problem of a file whose layout is a known other tool's output, with the command that writes
 * the expected one; undefined when the layout is not one we recognise.
 */
export function recognisedLayout(kind: SnapshotFileKind, data: unknown, context: HintContext): string | undefined {
  const top = Array.isArray(data) ? data : undefined;
  switch (kind) {
    case 'managedClusters': {
      const withSubscription = { ...context, subscriptionId: context.subscriptionId ?? subscriptionOf(top ?? (isObject(data) ? data['value'] : undefined)) };
      if (top !== undefined) {
        const what = top.some(isFlattenedCluster) ? 'the az CLI\'s flattened clusters (what `az aks list` prints, without "properties")' : 'a list of clusters';
        return `(top level): a JSON array, ${what}; expected ${SNAPSHOT_LAYOUT.managedClusters}: ${clustersCommand(withSubscription)}`;
      }
      if (isObject(data) && !('value' in data) && 'properties' in data && 'id' in data) {
        return `(top level): one cluster's body (az rest of a single cluster); expected ${SNAPSHOT_LAYOUT.managedClusters}: ${clustersCommand({ ...withSubscription, subscriptionId: subscriptionOf([data]) })}`;
      }
      const values = isObject(data) && Array.isArray(data['value']) ? data['value'] : [];
      const flattened = values.findIndex(isFlattenedCluster);
      if (flattened >= 0) {
        return `value[${flattened}]: in the az CLI's flattened model (no "properties": \`az aks list\` output); expected ${SNAPSHOT_LAYOUT.managedClusters}: ${clustersCommand(withSubscription)}`;
      }
      return undefined;
    }
    case 'kubernetesVersions':
      if (isObject(data) && 'orchestrators' in data) {
        return `(top level): the retired "orchestrators" layout (what older \`az aks get-versions\` prints); expected ${SNAPSHOT_LAYOUT.kubernetesVersions}: ${versionsCommand(context)}`;
      }
      if (top !== undefined) return `(top level): a JSON array; expected ${SNAPSHOT_LAYOUT.kubernetesVersions}: ${versionsCommand(context)}`;
      return undefined;
    case 'policyStates':
    case 'componentPolicyStates':
      if (top !== undefined) {
        return `(top level): a JSON array (what \`az policy state list\` prints); expected ${SNAPSHOT_LAYOUT[kind]}: add --query ${shellWord('{value: @}')} to that command`;
      }
      return undefined;
    case 'logs':
      if (top !== undefined) {
        return `(top level): a JSON array (rows, as \`az monitor log-analytics query\` prints); expected ${SNAPSHOT_LAYOUT.logs}, which \`az rest --method post\` of the query API returns (README, "By hand")`;
      }
      return undefined;
  }
}
