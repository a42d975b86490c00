// Table-level read on one Log Analytics workspace the KQL detections query, dual-role method of
// Learn "Manage table-level access in a Log Analytics workspace": a workspace role that may run a
// query but read no table, and a table role on each detection table. Replaces Log Analytics Reader
// on the whole workspace (every table: sign-in logs, security events, other teams' data).
targetScope = 'resourceGroup'

param workspaceName string
param principalId string
@description('Id of the custom role with workspaces/read and workspaces/query/read (subscriptionAccess.bicep).')
param workspaceRoleId string
@description('Id of the custom role with workspaces/tables/query/read (subscriptionAccess.bicep).')
param tableRoleId string
@description('Detection tables (AKSAudit, AKSAuditAdmin, KubePodInventory, KubeNodeInventory). Each must exist in the workspace: a role assignment needs its scope to exist.')
param tables array

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource detectionTables 'Microsoft.OperationalInsights/workspaces/tables@2023-09-01' existing = [
  for table in tables: {
    parent: workspace
    name: table
  }
]

// Workspace query on this workspace only: read its details and run a query; no table data.
resource workspaceQueryAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: workspace
  name: guid(workspace.id, principalId, workspaceRoleId)
  properties: {
    roleDefinitionId: workspaceRoleId
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'aks-fleet-guard: run the KQL detections (LogAnalyticsAdapter.query); tables are granted one by one'
  }
}

// Query one detection table: the KQL in lib/detections/queries reads only these tables.
resource tableReadAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (table, index) in tables: {
    scope: detectionTables[index]
    name: guid(detectionTables[index].id, principalId, tableRoleId)
    properties: {
      roleDefinitionId: tableRoleId
      principalId: principalId
      principalType: 'ServicePrincipal'
      description: 'aks-fleet-guard: read the ${table} table for the KQL detections'
    }
  }
]
