// The private path to the app's storage account and Key Vault, for networkAccess = 'private':
// a virtual network with a subnet the Flex Consumption app integrates with (delegated to
// Microsoft.App/environments, Learn "Flex Consumption plan hosting", Considerations) and a subnet
// for private endpoints to blob, queue, table and vault, each with its privatelink DNS zone linked
// to the network. The layout follows the official Flex samples (Azure-Samples/functions-quickstart-
// javascript-azd infra/app/vnet.bicep and storage-PrivateEndpoint.bicep, vnetEnabled = true), which
// also turn storage public network access off.
targetScope = 'resourceGroup'

param location string
param namePrefix string
@description('Address space of the network; the first /24 is the Functions integration subnet, the second the private endpoints.')
param addressPrefix string
param storageAccountId string
param vaultId string

var integrationSubnetName = 'functions'
var endpointSubnetName = 'private-endpoints'

// Zone names: Learn "Azure Private Endpoint private DNS zone values" (Storage and Key Vault rows).
var endpoints = [
  { name: 'blob', serviceId: storageAccountId, groupId: 'blob', zone: 'privatelink.blob.${environment().suffixes.storage}' }
  { name: 'queue', serviceId: storageAccountId, groupId: 'queue', zone: 'privatelink.queue.${environment().suffixes.storage}' }
  { name: 'table', serviceId: storageAccountId, groupId: 'table', zone: 'privatelink.table.${environment().suffixes.storage}' }
  { name: 'vault', serviceId: vaultId, groupId: 'vault', zone: 'privatelink.vaultcore.azure.net' }
]

resource network 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: '${namePrefix}-vnet'
  location: location
  properties: {
    addressSpace: { addressPrefixes: [addressPrefix] }
    subnets: [
      {
        name: integrationSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 0)
          delegations: [{ name: 'flex-consumption', properties: { serviceName: 'Microsoft.App/environments' } }]
        }
      }
      {
        name: endpointSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 1)
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for endpoint in endpoints: {
    name: endpoint.zone
    location: 'global'
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (endpoint, index) in endpoints: {
    parent: zones[index]
    name: '${namePrefix}-${endpoint.name}'
    location: 'global'
    properties: {
      virtualNetwork: { id: network.id }
      registrationEnabled: false
    }
  }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for endpoint in endpoints: {
    name: '${namePrefix}-pe-${endpoint.name}'
    location: location
    properties: {
      subnet: { id: '${network.id}/subnets/${endpointSubnetName}' }
      privateLinkServiceConnections: [
        {
          name: endpoint.name
          properties: {
            privateLinkServiceId: endpoint.serviceId
            groupIds: [endpoint.groupId]
          }
        }
      ]
    }
  }
]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (endpoint, index) in endpoints: {
    parent: privateEndpoints[index]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [{ name: endpoint.name, properties: { privateDnsZoneId: zones[index].id } }]
    }
  }
]

output integrationSubnetId string = '${network.id}/subnets/${integrationSubnetName}'
