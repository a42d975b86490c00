// The custom role rollouts run with. Defined at subscription scope, assignable only to the resource
// groups where rollouts are allowed.
targetScope = 'subscription'

param roleName string
param assignableScopes array

// Why a custom role: the built-in "Azure Kubernetes Service Contributor Role" also grants
// managedClusters/delete, credential listing and every other action under the provider. Rollouts
// need exactly these. AKS has no upgrade-only action, so managedClusters/write remains broad;
// that is why the role is assignable only to the resource groups named in rolloutResourceGroups.
var rolloutActions = [
  'Microsoft.ContainerService/managedClusters/read'
  'Microsoft.ContainerService/managedClusters/write'
  'Microsoft.ContainerService/managedClusters/agentPools/read'
  'Microsoft.ContainerService/managedClusters/agentPools/write'
  'Microsoft.ContainerService/managedClusters/agentPools/upgradeNodeImageVersion/action'
  'Microsoft.ContainerService/managedClusters/maintenanceConfigurations/read'
  'Microsoft.ContainerService/locations/operations/read'
]

resource rolloutRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, roleName)
  properties: {
    roleName: roleName
    description: 'aks-fleet-guard rollouts: upgrade AKS control planes and node pools; nothing else.'
    type: 'CustomRole'
    permissions: [{ actions: rolloutActions, notActions: [] }]
    assignableScopes: assignableScopes
  }
}

output roleDefinitionId string = rolloutRole.id
