// Everything the app's identity may do in one subscription: the custom roles it needs there,
// defined in this subscription only, and their assignments at the narrowest scope that works.
//
// Why one definition per subscription (issue 15.5): a custom role whose assignableScopes list
// resource groups or other subscriptions cannot drop one of them while assignments exist there
// (RoleScopeBeingRemovedContainsAssignments, Azure/bicep#17145). Each definition here is assignable
// only in its own subscription and its assignableScopes never change, so adding or removing a
// swept subscription, a workspace or a rollout resource group only adds or deletes assignments.
// Role names are unique per tenant (RoleDefinitionWithSameNameExists), so the name carries the
// subscription id. The actions are exactly lib/infra/requiredActions.ts (the security test compares).
targetScope = 'subscription'

@description('Short prefix of the deployment; part of each role name.')
param namePrefix string

@description('Object id of the app identity (<prefix>-id).')
param principalId string

@description('Lower-case ids of the swept subscriptions; the fleet reader is assigned here if this is one of them.')
param sweptSubscriptionIds array

@description('Detection workspaces of every subscription: [{ subscriptionId, resourceGroup, name }]; those of this subscription are used.')
param workspaces array

@description('Tables the KQL detections read (lib/detections/catalog.ts).')
param detectionTables array

@description('Rollout targets of every subscription: [{ subscriptionId, resourceGroup }]; those of this subscription are used.')
param rolloutResourceGroups array

var here = toLower(subscription().subscriptionId)
var sweep = contains(sweptSubscriptionIds, here)
var localWorkspaces = filter(workspaces, workspace => toLower(workspace.subscriptionId) == here)
var localRolloutGroups = filter(rolloutResourceGroups, target => toLower(target.subscriptionId) == here)

// Read what the sweep, the event reactions and the rollout observations call, nothing else
// (lib/infra/requiredActions.ts, role fleetReader). Replaces Reader (*/read on everything in the
// subscription: storage account properties, Key Vault metadata, every other resource type).
var fleetReaderActions = [
  'Microsoft.ContainerService/managedClusters/read'
  'Microsoft.ContainerService/managedClusters/upgradeProfiles/read'
  'Microsoft.ContainerService/managedClusters/maintenanceConfigurations/read'
  'Microsoft.ContainerService/managedClusters/agentPools/upgradeProfiles/read'
  'Microsoft.ContainerService/locations/kubernetesversions/read'
  'Microsoft.PolicyInsights/policyStates/queryResults/action'
  'Microsoft.PolicyInsights/policyStates/queryResults/read'
  'Microsoft.PolicyInsights/componentPolicyStates/queryResults/read'
  'Microsoft.Insights/DiagnosticSettings/Read'
  'Microsoft.ResourceGraph/resources/read'
  'Microsoft.Resources/subscriptions/read'
  'Microsoft.Authorization/policyDefinitions/read'
  'Microsoft.Authorization/policySetDefinitions/read'
]

// The upgrade writes and the reads each write does first (role rollout). AKS has no upgrade-only
// action: the control-plane upgrade is a PUT of the cluster, so managedClusters/write is required
// and also allows any other cluster change (Entra admin groups, local accounts, network settings).
// See infra/README.md "The rollout role" for what limits it and the narrower alternative.
var rolloutActions = [
  'Microsoft.ContainerService/managedClusters/read'
  'Microsoft.ContainerService/managedClusters/write'
  'Microsoft.ContainerService/managedClusters/agentPools/read'
  'Microsoft.ContainerService/managedClusters/agentPools/write'
  'Microsoft.ContainerService/managedClusters/agentPools/upgradeNodeImageVersion/action'
]

// Table-level read, dual-role method (Learn "Manage table-level access in a Log Analytics
// workspace"): on the workspace, read its details and run a query but read no table...
var logWorkspaceActions = [
  'Microsoft.OperationalInsights/workspaces/read'
  'Microsoft.OperationalInsights/workspaces/query/read'
]

// ...and on each detection table, query that table (the "table action" of the Log Analytics docs).
var logTableActions = [
  'Microsoft.OperationalInsights/workspaces/tables/query/read'
]

resource fleetReaderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (sweep) {
  name: guid(subscription().id, namePrefix, 'fleet-reader')
  properties: {
    roleName: 'aks-fleet-guard fleet reader (${namePrefix}, ${here})'
    description: 'aks-fleet-guard sweep: read AKS clusters, upgrade profiles, maintenance windows, Kubernetes versions and policy states; query Resource Graph. Nothing else.'
    type: 'CustomRole'
    permissions: [{ actions: fleetReaderActions, notActions: [] }]
    assignableScopes: [subscription().id]
  }
}

resource rolloutRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (!empty(localRolloutGroups)) {
  name: guid(subscription().id, namePrefix, 'rollout')
  properties: {
    roleName: 'aks-fleet-guard rollout (${namePrefix}, ${here})'
    description: 'aks-fleet-guard rollouts: upgrade AKS control planes and node pools; nothing else.'
    type: 'CustomRole'
    permissions: [{ actions: rolloutActions, notActions: [] }]
    assignableScopes: [subscription().id]
  }
}

resource logWorkspaceRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (!empty(localWorkspaces)) {
  name: guid(subscription().id, namePrefix, 'log-workspace')
  properties: {
    roleName: 'aks-fleet-guard log workspace query (${namePrefix}, ${here})'
    description: 'aks-fleet-guard detections: read a workspace and run queries in it; no table data (granted per table).'
    type: 'CustomRole'
    permissions: [{ actions: logWorkspaceActions, notActions: ['Microsoft.OperationalInsights/workspaces/sharedKeys/read'] }]
    assignableScopes: [subscription().id]
  }
}

resource logTableRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (!empty(localWorkspaces)) {
  name: guid(subscription().id, namePrefix, 'log-table')
  properties: {
    roleName: 'aks-fleet-guard log table read (${namePrefix}, ${here})'
    description: 'aks-fleet-guard detections: query one Log Analytics table (assigned per detection table).'
    type: 'CustomRole'
    permissions: [{ actions: logTableActions, notActions: [] }]
    assignableScopes: [subscription().id]
  }
}

// Fleet reader on the whole subscription: the sweep lists every cluster of a swept subscription
// (managedClusters list, Resource Graph over the subscription, policy states of the subscription),
// so no narrower scope works; the role itself holds only the reads above.
resource fleetReaderAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (sweep) {
  name: guid(subscription().id, principalId, 'fleet-reader')
  properties: {
    roleDefinitionId: fleetReaderRole.id
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'aks-fleet-guard: sweep inventory, policy states and event re-reads (lib/infra/requiredActions.ts)'
  }
}

// Log query on each detection workspace of this subscription, and read on its detection tables only.
module workspaceAccess 'workspaceReader.bicep' = [
  for workspace in localWorkspaces: {
    name: 'la-access-${uniqueString(workspace.resourceGroup, workspace.name, namePrefix)}'
    scope: resourceGroup(workspace.resourceGroup)
    params: {
      workspaceName: workspace.name
      principalId: principalId
      workspaceRoleId: logWorkspaceRole.id
      tableRoleId: logTableRole.id
      tables: detectionTables
    }
  }
]

// The rollout role in each resource group where rollouts are allowed, and nowhere else.
module rolloutWriter 'rolloutWriter.bicep' = [
  for target in localRolloutGroups: {
    name: 'rollout-writer-${uniqueString(target.resourceGroup, namePrefix)}'
    scope: resourceGroup(target.resourceGroup)
    params: {
      roleDefinitionId: rolloutRole.id
      principalId: principalId
    }
  }
]
