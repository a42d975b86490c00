/**
 * Every Azure RBAC action the app's own code performs, next to the adapter function and SDK call
 * that performs it. The custom roles in infra/modules/subscriptionAccess.bicep grant exactly these
 * and nothing else: test/security/infraRoles.test.ts fails when a role has an action no call here
 * needs, when an SDK call in lib/azure/*.ts is missing here, or when a call here no longer exists.
 *
 * Action strings: Learn "Azure resource provider operations" (learn.microsoft.com/azure/
 * role-based-access-control/resource-provider-operations), sections Microsoft.ContainerService,
 * Microsoft.PolicyInsights, Microsoft.ResourceGraph, Microsoft.Resources, Microsoft.OperationalInsights, Microsoft.Insights.
 * Action names are case-insensitive in Azure RBAC; they are written here as the operations page
 * spells them.
 *
 * Storage data access (Azure Tables, the host's blobs and Durable's queues) is granted with built-in
 * data roles on single tables, queues and containers instead; see infra/README.md "Role table".
 */
import type { KubernetesResource } from '../model/inCluster.js';

/** The custom roles the template defines (one definition per subscription, see infra/README.md). */
/**
 * `inClusterReader` is granted only with `grantInClusterRead` (infra/modules/inClusterReader.bicep):
 * on a cluster without Entra ID the clusterUser credential is a client certificate with the local
 * admin's rights, so the always-granted fleet reader must not hold it.
 */
export type CustomRoleName = 'fleetReader' | 'rollout' | 'logWorkspace' | 'logTable' | 'inClusterReader' | 'inClusterRunCommand';

/** One call site: `Class.method` in lib/azure and the SDK (or REST) operation it invokes there. */
export interface ActionCall {
  /** `ContainerServiceAdapter.listClusters`: the adapter method that makes the call. */
  adapter: string;
  /** The call as written in the adapter: `managedClusters.list`, `resources`, `rawGet`, ... */
  sdk: string;
  /** The role that grants the action for this call. */
  role: CustomRoleName;
}

export interface RequiredAction {
  action: string;
  /** What the action allows, in the operations page's words or ours when the page is terse. */
  why: string;
  calls: readonly ActionCall[];
}

const CS = 'ContainerServiceAdapter';

export const REQUIRED_ACTIONS: readonly RequiredAction[] = [
  {
    action: 'Microsoft.ContainerService/managedClusters/read',
    why: 'Get a managed cluster (also the per-row read Resource Graph applies to the clusters query)',
    calls: [
      { adapter: `${CS}.listClusters`, sdk: 'managedClusters.list', role: 'fleetReader' },
      { adapter: `${CS}.listClustersRaw`, sdk: 'rawGet', role: 'fleetReader' },
      { adapter: `${CS}.getCluster`, sdk: 'managedClusters.get', role: 'fleetReader' },
      { adapter: `${CS}.getCluster`, sdk: 'rawGet', role: 'fleetReader' },
      { adapter: 'ResourceGraphAdapter.resources', sdk: 'resources', role: 'fleetReader' },
      // The upgrade PUT replaces the whole cluster, so it is read first in the same call (If-Match).
      { adapter: `${CS}.startControlPlaneUpgrade`, sdk: 'managedClusters.get', role: 'rollout' },
      // `fleetguard snapshot capture` (run by a person, with the same reads as the sweep): cluster list bodies as ARM returns them.
      { adapter: 'SnapshotBodiesAdapter.armGet', sdk: 'pathUnchecked', role: 'fleetReader' },
    ],
  },
  {
    action: 'Microsoft.ContainerService/managedClusters/write',
    why: 'The control-plane upgrade is a PUT of the cluster; AKS has no narrower upgrade action (see infra/README.md)',
    calls: [{ adapter: `${CS}.startControlPlaneUpgrade`, sdk: 'managedClusters.beginCreateOrUpdate', role: 'rollout' }],
  },
  {
    // The action of the built-in "Azure Kubernetes Service Cluster User Role" (Learn, "Azure built-in roles for Containers").
    action: 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action',
    why: 'List the clusterUser credential of a managed cluster: the kubeconfig (server and CA) the in-cluster reads use, no secret for an Entra cluster',
    calls: [{ adapter: `${CS}.userKubeconfig`, sdk: 'managedClusters.listClusterUserCredentials', role: 'inClusterReader' }],
  },
  {
    // The runCommand fallback of the in-cluster reads (opt-in, infra/modules/inClusterRunCommand.bicep).
    // Learn "Access a private AKS cluster using the command invoke or Run command feature".
    action: 'Microsoft.ContainerService/managedClusters/runCommand/action',
    why: 'Submit a command to run in a pod inside the cluster (as the caller on Entra clusters, as cluster-admin on local-account clusters)',
    calls: [{ adapter: 'RunCommandClient.run', sdk: 'managedClusters.beginRunCommandAndWait', role: 'inClusterRunCommand' }],
  },
  {
    action: 'Microsoft.ContainerService/managedClusters/commandResults/read',
    why: "Read a command's result: the Location the runCommand POST answers with, which the SDK's poller reads until the command is done",
    calls: [{ adapter: 'RunCommandClient.run', sdk: 'managedClusters.beginRunCommandAndWait', role: 'inClusterRunCommand' }],
  },
  {
    action: 'Microsoft.ContainerService/managedClusters/upgradeProfiles/read',
    why: 'Gets the upgrade profile of the cluster (versions the control plane may move to)',
    calls: [{ adapter: `${CS}.controlPlaneUpgrades`, sdk: 'managedClusters.getUpgradeProfile', role: 'fleetReader' }],
  },
  {
    action: 'Microsoft.ContainerService/managedClusters/maintenanceConfigurations/read',
    why: "Gets a maintenance configuration (the cluster's planned auto-upgrade window)",
    calls: [{ adapter: `${CS}.autoUpgradeWindow`, sdk: 'maintenanceConfigurations.get', role: 'fleetReader' }],
  },
  {
    action: 'Microsoft.ContainerService/managedClusters/agentPools/read',
    why: 'Gets an agent pool; the pool PUT replaces the whole pool, so it is read first in the same call',
    calls: [
      { adapter: `${CS}.startPoolUpgrade`, sdk: 'agentPools.get', role: 'rollout' },
      { adapter: `${CS}.startPoolRollback`, sdk: 'agentPools.get', role: 'rollout' },
    ],
  },
  {
    action: 'Microsoft.ContainerService/managedClusters/agentPools/write',
    why: 'Node-pool version upgrades and rollbacks are a PUT of the pool',
    calls: [
      { adapter: `${CS}.startPoolUpgrade`, sdk: 'agentPools.beginCreateOrUpdate', role: 'rollout' },
      { adapter: `${CS}.startPoolRollback`, sdk: 'agentPools.beginCreateOrUpdate', role: 'rollout' },
    ],
  },
  {
    action: 'Microsoft.ContainerService/managedClusters/agentPools/upgradeNodeImageVersion/action',
    why: 'Upgrade the node image version of agent pool',
    calls: [{ adapter: `${CS}.startNodeImageUpgrade`, sdk: 'agentPools.upgradeNodeImageVersion', role: 'rollout' }],
  },
  {
    action: 'Microsoft.ContainerService/managedClusters/agentPools/upgradeProfiles/read',
    why: "Gets the upgrade profile of the agent pool (the pool's recently used versions for rollback)",
    calls: [{ adapter: `${CS}.poolRollbackOptions`, sdk: 'agentPools.getUpgradeProfile', role: 'fleetReader' }],
  },
  {
    action: 'Microsoft.ContainerService/locations/kubernetesversions/read',
    why: 'List available Kubernetes versions in the region',
    calls: [
      { adapter: `${CS}.listKubernetesVersions`, sdk: 'managedClusters.listKubernetesVersions', role: 'fleetReader' },
      { adapter: `${CS}.listKubernetesVersions`, sdk: 'rawGet', role: 'fleetReader' },
      { adapter: 'SnapshotBodiesAdapter.armGet', sdk: 'pathUnchecked', role: 'fleetReader' },
    ],
  },
  {
    action: 'Microsoft.PolicyInsights/policyStates/queryResults/action',
    why: 'Query information about policy states (the POST queryResults every page is fetched with)',
    calls: [
      { adapter: 'PolicyInsightsAdapter.pages', sdk: 'policyStates.listQueryResultsForSubscription', role: 'fleetReader' },
      { adapter: 'SnapshotBodiesAdapter.policyStates', sdk: 'policyStates.listQueryResultsForSubscription', role: 'fleetReader' },
    ],
  },
  {
    action: 'Microsoft.PolicyInsights/policyStates/queryResults/read',
    // Resource Graph returns only rows the caller may read; for `policyresources` rows of type
    // microsoft.policyinsights/policystates that is the policy-state read, which Reader's */read
    // included. Not confirmed against a tenant (see infra/README.md "Not verified").
    why: 'Query information about policy states: the per-row read Resource Graph applies to policyresources',
    calls: [{ adapter: 'ResourceGraphAdapter.resources', sdk: 'resources', role: 'fleetReader' }],
  },
  {
    // Learn "Azure permissions for Management and governance" lists only this action for component
    // states (no .../queryResults/action as for policyStates), though the POST's operations example
    // (ComponentPolicyStates_ListOperations.json, 2022-04-01) names .../action. Not confirmed against
    // a tenant: a 403 only costs the pod-level detail (reported), never the findings.
    action: 'Microsoft.PolicyInsights/componentPolicyStates/queryResults/read',
    why: 'Query information about component policy states (the pods the Azure Policy add-on reports non-compliant)',
    calls: [
      { adapter: 'PolicyInsightsAdapter.listNonCompliantComponents', sdk: 'componentPolicyStates.listQueryResultsForResource', role: 'fleetReader' },
      {
        adapter: 'PolicyInsightsAdapter.listNonCompliantComponentsInSubscription',
        sdk: 'componentPolicyStates.listQueryResultsForSubscription',
        role: 'fleetReader',
      },
    ],
  },
  {
    // Learn "Azure resource provider operations", Microsoft.Insights: "Read a resource diagnostic setting".
    action: 'Microsoft.Insights/DiagnosticSettings/Read',
    why: "Read a resource diagnostic setting: whether a cluster's audit logs (kube-audit, kube-audit-admin, guard) leave it (AKS-AUDIT-LOGS)",
    calls: [
      { adapter: 'DiagnosticSettingsAdapter.listBody', sdk: 'pathUnchecked', role: 'fleetReader' },
      // `fleetguard snapshot capture`: the List body of each cluster into diagnosticSettings.json.
      { adapter: 'SnapshotBodiesAdapter.armGet', sdk: 'pathUnchecked', role: 'fleetReader' },
    ],
  },
  {
    // Resource Graph returns only rows the caller may read: for `policyresources` rows of the two
    // definition types that is the definitions' read (Reader's */read included it). The Policy
    // definitions API (GET .../policyDefinitions/{name}) needs the same action, one call per
    // definition. Not confirmed against a tenant: without it, findings keep the GUIDs (reported once).
    action: 'Microsoft.Authorization/policyDefinitions/read',
    why: 'Get information about a policy definition: the display names policy findings show (per-row read of the policy-definitions query)',
    calls: [{ adapter: 'ResourceGraphAdapter.resources', sdk: 'resources', role: 'fleetReader' }],
  },
  {
    action: 'Microsoft.Authorization/policySetDefinitions/read',
    why: 'Get information about a policy set definition: the initiative names policy findings show (per-row read of the policy-definitions query)',
    calls: [{ adapter: 'ResourceGraphAdapter.resources', sdk: 'resources', role: 'fleetReader' }],
  },
  {
    action: 'Microsoft.ResourceGraph/resources/read',
    why: 'Submits a query on resources within specified subscriptions',
    calls: [{ adapter: 'ResourceGraphAdapter.resources', sdk: 'resources', role: 'fleetReader' }],
  },
  {
    action: 'Microsoft.Resources/subscriptions/read',
    why: 'Gets the list of subscriptions; also what puts a subscription in Resource Graph resourcecontainers, which the inventory checks first',
    calls: [
      { adapter: 'SubscriptionsAdapter.listEnabledSubscriptionIds', sdk: 'subscriptions.list', role: 'fleetReader' },
      { adapter: 'ResourceGraphAdapter.resources', sdk: 'resources', role: 'fleetReader' },
    ],
  },
  {
    action: 'Microsoft.OperationalInsights/workspaces/read',
    why: 'Read workspace details: the workspace half of table-level access (Learn "Manage table-level access", dual-role method)',
    calls: [{ adapter: 'LogAnalyticsAdapter.query', sdk: 'queryResource', role: 'logWorkspace' }],
  },
  {
    action: 'Microsoft.OperationalInsights/workspaces/query/read',
    why: 'Run a query in the workspace without reading any table (the table role grants the tables)',
    calls: [{ adapter: 'LogAnalyticsAdapter.query', sdk: 'queryResource', role: 'logWorkspace' }],
  },
  {
    action: 'Microsoft.OperationalInsights/workspaces/tables/query/read',
    why: 'Query logs in a table (table action), assigned on each detection table only',
    calls: [{ adapter: 'LogAnalyticsAdapter.query', sdk: 'queryResource', role: 'logTable' }],
  },
];

/** The actions a custom role must grant: every action with at least one call that names the role. */
export function actionsOfRole(role: CustomRoleName, actions: readonly RequiredAction[] = REQUIRED_ACTIONS): string[] {
  return actions.filter((entry) => entry.calls.some((call) => call.role === role)).map((entry) => entry.action);
}

/**
 * The in-cluster reads on clusters that use Azure RBAC for Kubernetes authorization: one data action
 * per resource the K8S-* rules read (`lib/model/inCluster.ts` KUBERNETES_RESOURCES, listed through
 * the cluster's API server), written `Microsoft.ContainerService/managedClusters/{group/}{resource}/read`
 * as Learn "Azure resource provider operations" (Microsoft.ContainerService, DataActions) spells
 * them. Never `secrets/read`. Granted by infra/modules/inClusterReader.bicep, whose role
 * test/security/inClusterReader.test.ts compares with this list.
 */
export const IN_CLUSTER_DATA_ACTIONS: Readonly<Record<KubernetesResource, string>> = {
  namespaces: 'Microsoft.ContainerService/managedClusters/namespaces/read',
  clusterrolebindings: 'Microsoft.ContainerService/managedClusters/rbac.authorization.k8s.io/clusterrolebindings/read',
  rolebindings: 'Microsoft.ContainerService/managedClusters/rbac.authorization.k8s.io/rolebindings/read',
  clusterroles: 'Microsoft.ContainerService/managedClusters/rbac.authorization.k8s.io/clusterroles/read',
  roles: 'Microsoft.ContainerService/managedClusters/rbac.authorization.k8s.io/roles/read',
  networkpolicies: 'Microsoft.ContainerService/managedClusters/networking.k8s.io/networkpolicies/read',
  serviceaccounts: 'Microsoft.ContainerService/managedClusters/serviceaccounts/read',
  pods: 'Microsoft.ContainerService/managedClusters/pods/read',
};

/**
 * The control-plane action the in-cluster reader needs besides the data actions: the kubeconfig
 * (server URL and CA) comes from `listClusterUserCredential` (Learn operations page: "List the
 * clusterUser credential of a managed cluster"). Its SDK call lives in the live Kubernetes adapter.
 */
export const IN_CLUSTER_ACTIONS: readonly string[] = actionsOfRole('inClusterReader');

/**
 * The actions of the runCommand fallback (lib/azure/runCommand.ts), granted only when it is wanted
 * (`grantInClusterRunCommand`, infra/modules/inClusterRunCommand.bicep, whose role
 * test/security/inClusterRunCommand.test.ts compares with this list).
 */
export const IN_CLUSTER_RUN_COMMAND_ACTIONS: readonly string[] = actionsOfRole('inClusterRunCommand');
