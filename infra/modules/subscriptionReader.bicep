// Reader on one swept subscription (deployed at that subscription's scope).
targetScope = 'subscription'

param principalId string

var readerRoleId = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'

// Reader: list and read AKS clusters, node pools, upgrade profiles, maintenance configurations and
// Policy Insights states, and query them through Azure Resource Graph (Resource Graph shows only what
// the identity can read; Reader at subscription scope is also what makes the subscription appear in
// `resourcecontainers`, which the inventory checks before trusting Resource Graph with it). It
// includes no write, no action and no data-plane access, so the sweep can never change a cluster or
// read its secrets or kubeconfig (listClusterUserCredential is an action).
resource readerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, readerRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', readerRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
