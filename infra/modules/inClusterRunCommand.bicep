// The AKS runCommand fallback of the in-cluster reads (FLEETGUARD_IN_CLUSTER_RUN_COMMAND), in one
// swept subscription: a custom role with exactly the two actions the fallback calls
// (lib/infra/requiredActions.ts, role inClusterRunCommand) and its assignment on the subscription.
// Opt-in (grantInClusterRunCommand) because runCommand/action is powerful: it runs any command in
// a pod inside the cluster. On Entra clusters the command runs as the app's own identity (the
// clusterToken), so the in-cluster reader role still bounds what it can read; on clusters with
// local accounts only it runs with the cluster's own admin credentials, i.e. cluster-admin. The app
// never calls runCommand on those (they are notEntraIntegrated), but the role would let its
// identity do so: see infra/README.md "In-cluster access".
//
// Action strings: Learn "Access a private AKS cluster using the command invoke or Run command
// feature" and "Resolve az aks command invoke failures". Per-subscription definition for the reason
// in subscriptionAccess.bicep (Azure/bicep#17145). test/security/inClusterRunCommand.test.ts
// compares the list with the code.
targetScope = 'subscription'

@description('Short prefix of the deployment; part of the role name.')
param namePrefix string

@description('Object id of the app identity (<prefix>-id).')
param principalId string

var here = toLower(subscription().subscriptionId)

// Submit a command, and read its result (the Location the submission answers with).
var inClusterRunCommandActions = [
  'Microsoft.ContainerService/managedClusters/runCommand/action'
  'Microsoft.ContainerService/managedClusters/commandResults/read'
]

resource inClusterRunCommandRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, namePrefix, 'in-cluster-run-command')
  properties: {
    roleName: 'aks-fleet-guard in-cluster runCommand (${namePrefix}, ${here})'
    description: 'aks-fleet-guard in-cluster rules on private clusters: AKS runCommand and its results. A command runs in a pod inside the cluster, as the caller on Entra clusters and as cluster-admin on local-account clusters.'
    type: 'CustomRole'
    permissions: [{ actions: inClusterRunCommandActions, notActions: [], dataActions: [], notDataActions: [] }]
    assignableScopes: [subscription().id]
  }
}

// On the subscription, as the in-cluster reader: every private cluster of a swept subscription,
// including clusters created later.
resource inClusterRunCommandAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, 'in-cluster-run-command')
  properties: {
    roleDefinitionId: inClusterRunCommandRole.id
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'aks-fleet-guard: AKS runCommand fallback for the in-cluster reads of private clusters (lib/azure/runCommand.ts)'
  }
}
