// Assigns the rollout role (defined per subscription in subscriptionAccess.bicep) in one resource
// group where rollouts are allowed.
targetScope = 'resourceGroup'

param roleDefinitionId string
param principalId string

// The rollout role on this resource group only: the orchestrator may upgrade these clusters'
// control planes and node pools. Clusters elsewhere can be planned and rehearsed, never changed.
resource rolloutWriterAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, roleDefinitionId)
  properties: {
    roleDefinitionId: roleDefinitionId
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'aks-fleet-guard: rollout upgrade steps in this resource group (startControlPlaneUpgrade, startPoolUpgrade, startPoolRollback, startNodeImageUpgrade)'
  }
}
