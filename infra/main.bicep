// aks-fleet-guard: everything one deployment needs, in one resource group.
// Deploy: see infra/README.md. There is no Bicep CLI on the build machine, so
// test/unit/infra.test.ts checks this file against the code (settings, roles, event types).
targetScope = 'resourceGroup'

@description('Azure region of the app resources.')
param location string = resourceGroup().location

@description('Short prefix of resource names (letters and digits).')
@minLength(3)
@maxLength(11)
param namePrefix string

@description('Subscriptions the sweep may read. Reader is granted on each. Empty = grant nothing here (e.g. Reader is granted on a management group instead; see README).')
param sweptSubscriptionIds array = [subscription().subscriptionId]

@description('Log Analytics workspace resource ids the detections query (where AKS diagnostic settings send kube-audit). Log Analytics Reader is granted on each.')
param detectionWorkspaceIds array = []

@description('Resource groups whose AKS clusters rollouts may upgrade: [{ subscriptionId, resourceGroup }]. Empty = rollouts can only rehearse.')
param rolloutResourceGroups array = []

@description('AKS clusters to receive events from: [{ clusterId, location, systemTopicName? }]. One Event Grid system topic per cluster, in its resource group: created, or the existing one named by systemTopicName (Event Grid allows one per source).')
param aksEventSources array = []

@description('Subscriptions whose Azure Policy state changes are delivered: [{ subscriptionId, resourceGroup, systemTopicName? }]. The system topic lives in that resource group: created, or the existing one named by systemTopicName (Event Grid allows one per source).')
param policyEventSources array = []

@description('Create the Event Grid subscriptions. They point at the aksEvents and policyEvents functions, which must already be published: deploy once with false, publish the code, then deploy with true.')
param deployEventSubscriptions bool = false

@description('Client id of the Entra ID app registration that fronts the HTTP API (created with infra/app-roles.json; see README).')
param apiClientId string

@description('Alert routing document (JSON or YAML). Secrets are never in it: receivers name app settings, listed in alertSecretSettings.')
param alertRoutesDocument string = ''

@description('App setting names the routing document refers to for webhook URLs, routing keys and HMAC keys. Each becomes a Key Vault reference to the secret of the same name with _ replaced by -.')
param alertSecretSettings array = []

@description('Extra app settings from lib/config.ts SETTINGS (e.g. FLEETGUARD_SWEEP_SCHEDULE). Secrets do not belong here.')
param appSettingOverrides object = {}

@description('Object ids allowed to manage Key Vault secrets (e.g. the platform team group). The app only reads.')
param keyVaultSecretOfficerIds array = []

@description('Upper bound of Flex Consumption instances.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

var suffix = uniqueString(resourceGroup().id, namePrefix)
var storageName = toLower(take('${namePrefix}${suffix}', 24))
var deploymentContainerName = 'app-package'
var deadLetterContainerName = 'eventgrid-deadletter'

// Built-in role definition ids (documented in infra/README.md; the contract test pins each one).
var roles = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-id'
  location: location
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: {
    // Identity only: no account keys, so a leaked setting cannot open the findings or the task hub.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deadLetterContainerName
}

// Blob: the Functions host's leases and keys, the Flex deployment package, Durable's large
// payloads, and Event Grid dead letters. Contributor, not Owner: the app never changes ACLs.
resource storageBlobRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Queue: Durable Functions' control and work-item queues.
resource storageQueueRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageQueueDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Table: Durable's history and instances, and the app's findings, sweeps, alerts, rollouts and events tables.
resource storageTableRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-ai'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    // Telemetry only with an Entra token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING below).
    DisableLocalAuth: true
  }
}

// Sends telemetry to Application Insights with Entra authentication (local auth is disabled).
resource telemetryRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: appInsights
  name: guid(appInsights.id, identity.id, roles.monitoringMetricsPublisher)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: take('${namePrefix}-kv-${suffix}', 24)
  location: location
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: 90
  }
}

// Reads the webhook URLs, routing keys and HMAC keys that app settings reference. No list, no write.
resource vaultReaderRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// People (not the app) who put the secrets in: the app identity never writes secrets.
resource vaultOfficerRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for officer in keyVaultSecretOfficerIds: {
    scope: vault
    name: guid(vault.id, officer, roles.keyVaultSecretsOfficer)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
      principalId: officer
    }
  }
]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${namePrefix}-plan'
  location: location
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

// Defaults of every setting lib/config.ts knows, generated from SETTINGS by
// `npm run infra:settings`; the contract test fails when the file and the code disagree.
var settingDefaults = loadJsonContent('app-settings.generated.json')

var computedSettings = {
  AZURE_CLIENT_ID: identity.properties.clientId
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  DURABLE_TASK_HUB_NAME: '${namePrefix}hub'
  FLEETGUARD_SUBSCRIPTIONS: join(sweptSubscriptionIds, ',')
  FLEETGUARD_LOG_WORKSPACES: join(detectionWorkspaceIds, ',')
  FLEETGUARD_ALERT_ROUTES: alertRoutesDocument
}

// Secrets stay in Key Vault; the platform resolves each reference with the user-assigned identity.
var secretSettings = toObject(alertSecretSettings, name => name, name => '@Microsoft.KeyVault(VaultName=${vault.name};SecretName=${replace(name, '_', '-')})')

var appSettings = union(settingDefaults, appSettingOverrides, computedSettings, secretSettings)

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: '${namePrefix}-func-${suffix}'
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          // The container by symbol, not by its name string: the app must not be created before it.
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer.name}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
      }
      runtime: { name: 'node', version: '22' }
    }
    // Only what Flex Consumption accepts: it refuses alwaysOn, ftpsState, linuxFxVersion,
    // use32BitWorkerProcess, functionAppScaleLimit and the other site properties listed under "Flex
    // Consumption plan deprecations" (learn.microsoft.com/azure/azure-functions/functions-app-settings).
    // FTP and basic publishing credentials are closed by basicPublishingCredentialsPolicies instead.
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: [for setting in items(appSettings): { name: setting.key, value: setting.value }]
    }
  }
  dependsOn: [deploymentContainer, storageBlobRole, storageQueueRole, storageTableRole, vaultReaderRole, telemetryRole]
}

// The Event Grid trigger's webhook. The Functions docs and templates spell it /runtime/webhooks/EventGrid
// ("https://{app}.azurewebsites.net/runtime/webhooks/EventGrid?functionName={function}&code={systemkey}"),
// older pages /runtime/webhooks/eventgrid. Whether App Service Authentication compares excludedPaths
// case-sensitively is not documented, so both spellings are excluded: a mismatch would answer every
// delivery with 401 and send it to dead-letter.
var eventGridWebhookPaths = ['/runtime/webhooks/EventGrid', '/runtime/webhooks/eventgrid']

// Entra ID in front of every HTTP route. The functions then check the app roles in
// x-ms-client-principal (Rollouts.Read/Manage, Alerts.Read/Manage); the Event Grid
// webhook path is excluded because Event Grid authenticates with the system key instead.
resource authentication 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: eventGridWebhookPaths
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: apiClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: ['api://${apiClientId}', apiClientId]
        }
      }
    }
    login: { tokenStore: { enabled: false } }
  }
}

// Reader on each swept subscription: list clusters, read their configuration, upgrade profiles
// and Policy Insights states. Nothing it grants can change a resource or read a secret.
module sweptReader 'modules/subscriptionReader.bicep' = [
  for subscriptionId in sweptSubscriptionIds: {
    name: 'reader-${uniqueString(subscriptionId)}'
    scope: subscription(subscriptionId)
    params: { principalId: identity.properties.principalId }
  }
]

// Log Analytics Reader on each detection workspace: run the KQL detections, nothing else.
module workspaceReader 'modules/workspaceReader.bicep' = [
  for workspaceId in detectionWorkspaceIds: {
    name: 'la-reader-${uniqueString(workspaceId)}'
    scope: resourceGroup(split(workspaceId, '/')[2], split(workspaceId, '/')[4])
    params: {
      workspaceName: last(split(workspaceId, '/'))
      principalId: identity.properties.principalId
    }
  }
]

// The custom AKS upgrade role, defined once and assigned only where rollouts are allowed.
module rolloutRole 'modules/rolloutRole.bicep' = if (!empty(rolloutResourceGroups)) {
  name: 'rollout-role-${suffix}'
  scope: subscription()
  params: {
    roleName: 'aks-fleet-guard rollout (${namePrefix})'
    assignableScopes: [for target in rolloutResourceGroups: '/subscriptions/${target.subscriptionId}/resourceGroups/${target.resourceGroup}']
  }
}

// The rollout role in each resource group where rollouts are allowed, and nowhere else.
module rolloutWriter 'modules/rolloutWriter.bicep' = [
  for target in rolloutResourceGroups: {
    name: 'rollout-writer-${uniqueString(target.subscriptionId, target.resourceGroup)}'
    scope: resourceGroup(target.subscriptionId, target.resourceGroup)
    params: {
      roleDefinitionId: rolloutRole!.outputs.roleDefinitionId
      principalId: identity.properties.principalId
    }
  }
]

var deadLetter = {
  storageAccountId: storage.id
  // By symbol: the event subscriptions then wait for the container they dead-letter into.
  containerName: deadLetterContainer.name
  identityId: identity.id
}

module aksEvents 'modules/eventTopic.bicep' = [
  for source in aksEventSources: {
    name: 'aks-events-${uniqueString(source.clusterId)}'
    scope: resourceGroup(split(source.clusterId, '/')[2], split(source.clusterId, '/')[4])
    params: {
      topicName: '${last(split(source.clusterId, '/'))}-fleetguard'
      existingTopicName: source.?systemTopicName ?? ''
      location: source.location
      sourceId: source.clusterId
      topicType: 'Microsoft.ContainerService.ManagedClusters'
      includedEventTypes: [
        'Microsoft.ContainerService.NewKubernetesVersionAvailable'
        'Microsoft.ContainerService.ClusterSupportEnding'
        'Microsoft.ContainerService.ClusterSupportEnded'
        'Microsoft.ContainerService.NodePoolRollingStarted'
        'Microsoft.ContainerService.NodePoolRollingSucceeded'
        'Microsoft.ContainerService.NodePoolRollingFailed'
      ]
      functionId: '${functionApp.id}/functions/aksEvents'
      deployEventSubscription: deployEventSubscriptions
      deadLetter: deadLetter
    }
  }
]

module policyEvents 'modules/eventTopic.bicep' = [
  for source in policyEventSources: {
    name: 'policy-events-${uniqueString(source.subscriptionId)}'
    scope: resourceGroup(source.subscriptionId, source.resourceGroup)
    params: {
      topicName: 'policy-states-fleetguard'
      existingTopicName: source.?systemTopicName ?? ''
      location: 'global'
      sourceId: '/subscriptions/${source.subscriptionId}'
      topicType: 'Microsoft.PolicyInsights.PolicyStates'
      includedEventTypes: [
        'Microsoft.PolicyInsights.PolicyStateCreated'
        'Microsoft.PolicyInsights.PolicyStateChanged'
        'Microsoft.PolicyInsights.PolicyStateDeleted'
      ]
      functionId: '${functionApp.id}/functions/policyEvents'
      deployEventSubscription: deployEventSubscriptions
      deadLetter: deadLetter
    }
  }
]

output functionAppName string = functionApp.name
output functionAppHost string = functionApp.properties.defaultHostName
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
output keyVaultName string = vault.name
output storageAccountName string = storage.name
