// Log Analytics Reader on one workspace the KQL detections query.
targetScope = 'resourceGroup'

param workspaceName string
param principalId string

var logAnalyticsReaderRoleId = '73c42c96-874c-492b-b04d-ab87d138a893'

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

// Log Analytics Reader on this workspace only: run queries (kube-audit, ContainerLogV2, KubePodInventory,
// KubeNodeInventory). Scoped to the workspace, not the resource group, so other workspaces stay closed.
resource workspaceReaderAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: workspace
  name: guid(workspace.id, principalId, logAnalyticsReaderRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', logAnalyticsReaderRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
