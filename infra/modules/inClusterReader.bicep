// The in-cluster reads (K8S-* rules) on AKS clusters that use Azure RBAC for Kubernetes
// authorization, in one swept subscription: a custom role with exactly the data actions the reader
// lists (lib/infra/requiredActions.ts IN_CLUSTER_DATA_ACTIONS, one per resource; never secrets) and
// the kubeconfig read (listClusterUserCredential), defined in this subscription only and assigned
// on it. Clusters with Kubernetes RBAC get infra/kubernetes/fleetguard-reader.yaml instead.
//
// Data action strings: Learn "Azure resource provider operations", Microsoft.ContainerService,
// DataActions. Per-subscription definition for the reason in subscriptionAccess.bicep
// (Azure/bicep#17145). test/security/inClusterReader.test.ts compares the lists with the code.
targetScope = 'subscription'

@description('Short prefix of the deployment; part of the role name.')
param namePrefix string

@description('Object id of the app identity (<prefix>-id).')
param principalId string

var here = toLower(subscription().subscriptionId)

// The kubeconfig (server URL and CA) of each cluster (lib/infra/requiredActions.ts IN_CLUSTER_ACTIONS).
var inClusterActions = [
  'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action'
]

// get/list of the eight resources §5 reads, and nothing else.
var inClusterDataActions = [
  'Microsoft.ContainerService/managedClusters/namespaces/read'
  'Microsoft.ContainerService/managedClusters/rbac.authorization.k8s.io/clusterrolebindings/read'
  'Microsoft.ContainerService/managedClusters/rbac.authorization.k8s.io/rolebindings/read'
  'Microsoft.ContainerService/managedClusters/rbac.authorization.k8s.io/clusterroles/read'
  'Microsoft.ContainerService/managedClusters/rbac.authorization.k8s.io/roles/read'
  'Microsoft.ContainerService/managedClusters/networking.k8s.io/networkpolicies/read'
  'Microsoft.ContainerService/managedClusters/serviceaccounts/read'
  'Microsoft.ContainerService/managedClusters/pods/read'
]

resource inClusterReaderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, namePrefix, 'in-cluster-reader')
  properties: {
    roleName: 'aks-fleet-guard in-cluster reader (${namePrefix}, ${here})'
    description: 'aks-fleet-guard in-cluster rules: the cluster user kubeconfig, and get/list of namespaces, RBAC objects, network policies, service accounts and pods. No secrets, no writes.'
    type: 'CustomRole'
    permissions: [{ actions: inClusterActions, notActions: [], dataActions: inClusterDataActions, notDataActions: [] }]
    assignableScopes: [subscription().id]
  }
}

// On the subscription: the in-cluster stage reads every Azure-RBAC cluster of a swept subscription,
// and an assignment on each cluster would have to follow every cluster created later.
resource inClusterReaderAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, 'in-cluster-reader')
  properties: {
    roleDefinitionId: inClusterReaderRole.id
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'aks-fleet-guard: in-cluster reads for the K8S-* rules (lib/infra/requiredActions.ts IN_CLUSTER_DATA_ACTIONS)'
  }
}
