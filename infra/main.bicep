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

@description('Subscriptions the sweep may read. The custom fleet-reader role (defined in each of them) is granted on each. Empty = grant nothing here (see README for a management group).')
param sweptSubscriptionIds array = [subscription().subscriptionId]

@description('Log Analytics workspace resource ids the detections query (where AKS diagnostic settings send kube-audit). Query on the workspace and read on the detection tables only are granted on each.')
param detectionWorkspaceIds array = []

@description('Resource groups whose AKS clusters rollouts may upgrade: [{ subscriptionId, resourceGroup }]. Empty = rollouts can only rehearse.')
param rolloutResourceGroups array = []

@description('AKS clusters to receive events from: [{ clusterId, location, systemTopicName? }]. One Event Grid system topic per cluster, in its resource group: created, or the existing one named by systemTopicName (Event Grid allows one per source).')
param aksEventSources array = []

@description('Grant the in-cluster reads (K8S-* rules) on every swept subscription: a custom role with the kubeconfig read and get/list data actions on exactly the resources read (modules/inClusterReader.bicep). Takes effect on clusters that use Azure RBAC for Kubernetes authorization; Kubernetes-RBAC clusters need infra/kubernetes/fleetguard-reader.yaml applied. See README "In-cluster access".')
param grantInClusterRead bool = false

@description('Grant AKS runCommand on every swept subscription, for the in-cluster reads of clusters whose API server the app cannot reach (FLEETGUARD_IN_CLUSTER_RUN_COMMAND): a custom role with runCommand/action and commandResults/read (modules/inClusterRunCommand.bicep). runCommand/action runs any command in the cluster, as cluster-admin on clusters with local accounts: see README "In-cluster access".')
param grantInClusterRunCommand bool = false

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

@description('private (default): storage and Key Vault public network access off, reached through private endpoints in a virtual network the app integrates with (modules/privateNetwork.bicep). public: both stay reachable from the internet (Entra ID only, no keys); for subscriptions that cannot create the network. See README "Network".')
@allowed(['private', 'public'])
param networkAccess string = 'private'

@description('Address space of the virtual network created when networkAccess is private (/23 or larger: a /24 for the app, a /24 for private endpoints).')
param vnetAddressPrefix string = '10.40.0.0/23'

@description('Public IPv4 addresses or CIDR ranges of the operators who put secrets into Key Vault (README step 2). Empty = Key Vault public network access off; put secrets in from inside the network.')
param operatorIpRanges array = []

var suffix = uniqueString(resourceGroup().id, namePrefix)
var storageName = toLower(take('${namePrefix}${suffix}', 24))
var deadLetterStorageName = toLower(take('${namePrefix}dl${suffix}', 24))
var deploymentContainerName = 'app-package'
var deadLetterContainerName = 'eventgrid-deadletter'
var privateNetworking = networkAccess == 'private'

// Built-in role definition ids (documented in infra/README.md; the contract test pins each one to
// its name on Learn "Azure built-in roles").
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// Table names as the app will use them: the SETTINGS defaults, then appSettingOverrides (the same
// order as appSettings below, known at the start of the deployment so they can name resources).
var tableSettings = union(settingDefaults, appSettingOverrides)
var appTableNames = [
  tableSettings.FLEETGUARD_FINDINGS_TABLE
  tableSettings.FLEETGUARD_SWEEPS_TABLE
  tableSettings.FLEETGUARD_EVENTS_TABLE
  tableSettings.FLEETGUARD_ALERTS_TABLE
  tableSettings.FLEETGUARD_ROLLOUTS_TABLE
]

// The Durable Functions task hub on the Azure Storage provider (Learn "Azure Storage provider for
// Durable Functions", Storage representation): tables <hub>History, <hub>Instances and, with the
// Table Partition Manager, <hub>Partitions; queues <hub>-workitems and one <hub>-control-NN per
// partition (partitionCount, default 4; host.json leaves it unset, the contract test checks);
// containers <hub>-leases, <hub>-applease, <hub>-largemessages (covered by the host's blob role).
var taskHubName = '${namePrefix}hub'
var durablePartitionCount = 4
var durableTableNames = ['${taskHubName}History', '${taskHubName}Instances', '${taskHubName}Partitions']
var durableQueueNames = concat(
  ['${toLower(taskHubName)}-workitems'],
  map(range(0, durablePartitionCount), partition => '${toLower(taskHubName)}-control-${padLeft(string(partition), 2, '0')}')
)

// The app code's identity (AZURE_CLIENT_ID): ARM reads and rollout writes, Log Analytics, its own
// tables, Key Vault references, telemetry. It holds no blob role: it cannot read function keys or
// replace the deployment package.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-id'
  location: location
}

// The Functions host's identity (AzureWebJobsStorage__clientId, the Flex deployment package,
// Durable's task hub). It holds no ARM role.
resource hostIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-host-id'
  location: location
}

// Event Grid's identity on the regional system topics: writes dead letters, nothing else. Global
// topics (Policy Insights, subscription source) cannot carry an identity (issue 15.1; see
// modules/eventTopic.bicep).
resource eventsIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-events-id'
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
    // private: reached only through the private endpoints of modules/privateNetwork.bicep, as the
    // official Flex samples do with vnetEnabled (publicNetworkAccess Disabled, defaultAction Deny,
    // bypass None). public: reachable from the internet, still Entra ID only.
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: privateNetworking ? { defaultAction: 'Deny', bypass: 'None' } : { defaultAction: 'Allow', bypass: 'AzureServices' }
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

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// Created here so each can carry its own role assignment (a scope must exist); the app's
// ensureTable and Durable's create-if-not-exists then find them.
resource appTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for name in appTableNames: {
    parent: tableService
    name: name
  }
]

resource durableTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for name in durableTableNames: {
    parent: tableService
    name: name
  }
]

resource durableQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for name in durableQueueNames: {
    parent: queueService
    name: name
  }
]

// Blob: the Functions host's storage (leases and timer locks in azure-webjobs-hosts, function keys in
// azure-webjobs-secrets), the Flex deployment package, and Durable's leases and large messages.
// Storage Blob Data Owner is what Learn "Connecting to host storage with an identity" requires (the
// host reads, writes and creates containers); the page grants it on the account, and no narrower
// scope is documented for the host, so the account (blob data only) is the scope.
resource hostBlobRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, hostIdentity.id, roles.storageBlobDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: hostIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    description: 'aks-fleet-guard host: AzureWebJobsStorage blobs, Flex deployment package, Durable leases and large messages'
  }
}

// Queue: each of Durable's control and work-item queues, not the account.
resource hostQueueRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, index) in durableQueueNames: {
    scope: durableQueues[index]
    name: guid(durableQueues[index].id, hostIdentity.id, roles.storageQueueDataContributor)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
      principalId: hostIdentity.properties.principalId
      principalType: 'ServicePrincipal'
      description: 'aks-fleet-guard host: Durable task hub queue ${name}'
    }
  }
]

// Table: each of Durable's history, instances and partitions tables, not the account.
resource hostTableRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, index) in durableTableNames: {
    scope: durableTables[index]
    name: guid(durableTables[index].id, hostIdentity.id, roles.storageTableDataContributor)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
      principalId: hostIdentity.properties.principalId
      principalType: 'ServicePrincipal'
      description: 'aks-fleet-guard host: Durable task hub table ${name}'
    }
  }
]

// Table: the app's findings, sweeps, events, alerts and rollouts tables, one by one.
resource appTableRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, index) in appTableNames: {
    scope: appTables[index]
    name: guid(appTables[index].id, identity.id, roles.storageTableDataContributor)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
      description: 'aks-fleet-guard app: table ${name} (lib/azure/tables.ts)'
    }
  }
]

// Dead letters live in their own account: Event Grid delivers only to public endpoints (Learn
// "Event delivery with a managed identity": delivery through private endpoints is not possible) and
// a user-assigned identity does not pass a storage firewall's trusted-service exception
// (MicrosoftDocs/azure-docs#105746), so this account stays publicly reachable, Entra ID only, and
// holds nothing but dead letters.
resource deadLetterStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: deadLetterStorageName
  location: location
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

resource deadLetterBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: deadLetterStorage
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: deadLetterBlobService
  name: deadLetterContainerName
}

// Event Grid writes undeliverable events here with the events identity: this container only.
resource eventsDeadLetterRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: deadLetterContainer
  name: guid(deadLetterContainer.id, eventsIdentity.id, roles.storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: eventsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    description: 'aks-fleet-guard Event Grid: dead letters of the regional system topics'
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
    description: 'aks-fleet-guard: telemetry with Entra authentication (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)'
  }
}

// Key Vault firewall when networkAccess is private: nothing but the operators' addresses (only
// effective while publicNetworkAccess is Enabled, i.e. when operatorIpRanges is not empty).
var privateVaultAcls = {
  defaultAction: 'Deny'
  bypass: 'None'
  ipRules: map(operatorIpRanges, range => { value: range })
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
    // Public network access off unless operators' addresses are listed: the app resolves its Key
    // Vault references through the private endpoint (networkAccess private), and people who put the
    // secrets in come from operatorIpRanges or from inside the network. With networkAccess public
    // the vault stays reachable (Entra ID and RBAC only), as before.
    publicNetworkAccess: privateNetworking && empty(operatorIpRanges) ? 'Disabled' : 'Enabled'
    networkAcls: privateNetworking ? privateVaultAcls : { defaultAction: 'Allow', bypass: 'AzureServices' }
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
    description: 'aks-fleet-guard: resolve the Key Vault references of the alert secret settings'
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
      description: 'aks-fleet-guard: people who put the alert secrets in (keyVaultSecretOfficerIds)'
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
  AzureWebJobsStorage__clientId: hostIdentity.properties.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  DURABLE_TASK_HUB_NAME: taskHubName
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
    userAssignedIdentities: { '${identity.id}': {}, '${hostIdentity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Outbound through the network that reaches storage and Key Vault privately (networkAccess private).
    virtualNetworkSubnetId: privateNetworking ? privateNetwork!.outputs.integrationSubnetId : null
    keyVaultReferenceIdentity: identity.id
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          // The container by symbol, not by its name string: the app must not be created before it.
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer.name}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: hostIdentity.id
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
  dependsOn: [deploymentContainer, hostBlobRole, hostQueueRoles, hostTableRoles, appTableRoles, vaultReaderRole, telemetryRole]
}

// The Event Grid trigger's webhook. The Functions docs and templates spell it /runtime/webhooks/EventGrid
// ("https://{app}.azurewebsites.net/runtime/webhooks/EventGrid?functionName={function}&code={systemkey}"),
// older pages /runtime/webhooks/eventgrid. Whether App Service Authentication compares excludedPaths
// case-sensitively is not documented, so both spellings are excluded: a mismatch would answer every
// delivery with 401 and send it to dead-letter.
var eventGridWebhookPaths = ['/runtime/webhooks/EventGrid', '/runtime/webhooks/eventgrid']

// Vendors' callbacks carry no Entra ID token, so App Service Authentication must let them through;
// each authenticates by its own signature plus the function key in the URL (?code=):
// - Slack's interactivity Request URL (functions/slackInteractions.ts): the signing secret (v0 HMAC);
//   without this exclusion every button press would get App Service Authentication's 401.
// - PagerDuty's v3 webhooks (functions/pagerDutyWebhook.ts): X-PagerDuty-Signature (HMAC-SHA256).
// excludedPaths: Learn "authsettingsV2", GlobalValidation.excludedPaths
// (https://learn.microsoft.com/azure/templates/microsoft.web/sites/config-authsettingsv2).
var vendorWebhookPaths = ['/api/slack/interactions', '/api/pagerduty/webhook']

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
      excludedPaths: concat(eventGridWebhookPaths, vendorWebhookPaths)
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

// Basic (user name and password) publishing is off for both the SCM (Kudu, zip deploy) and FTP
// endpoints: deployments authenticate with Entra ID (func publish, az functionapp deploy).
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: { allow: false }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: { allow: false }
}

module privateNetwork 'modules/privateNetwork.bicep' = if (privateNetworking) {
  name: 'private-network-${suffix}'
  params: {
    location: location
    namePrefix: namePrefix
    addressPrefix: vnetAddressPrefix
    storageAccountId: storage.id
    vaultId: vault.id
  }
}

// Platform logs of the app, its storage and its vault go to the deployment's workspace: function
// executions and host logs, every storage data request (who read which table or blob), every Key
// Vault secret read. categoryGroup allLogs: Learn "Diagnostic settings in Azure Monitor", category groups.
resource functionAppDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: functionApp
  name: 'to-${workspace.name}'
  properties: {
    workspaceId: workspace.id
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
    metrics: [{ category: 'AllMetrics', enabled: true }]
  }
}

resource vaultDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: vault
  name: 'to-${workspace.name}'
  properties: {
    workspaceId: workspace.id
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
    metrics: [{ category: 'AllMetrics', enabled: true }]
  }
}

// Storage resource logs are emitted per service (blob, queue, table); the account itself has metrics only.
resource storageDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: storage
  name: 'to-${workspace.name}'
  properties: {
    workspaceId: workspace.id
    metrics: [{ category: 'Transaction', enabled: true }]
  }
}

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: blobService
  name: 'to-${workspace.name}'
  properties: {
    workspaceId: workspace.id
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: queueService
  name: 'to-${workspace.name}'
  properties: {
    workspaceId: workspace.id
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: tableService
  name: 'to-${workspace.name}'
  properties: {
    workspaceId: workspace.id
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

resource deadLetterBlobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: deadLetterBlobService
  name: 'to-${workspace.name}'
  properties: {
    workspaceId: workspace.id
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

// Tables the KQL detections read (lib/detections/catalog.ts `tables`; the contract test compares).
var detectionTables = [
  'AKSAudit'
  'AKSAuditAdmin'
  'KubePodInventory'
  'KubeNodeInventory'
]

var sweptSubscriptionsLower = map(sweptSubscriptionIds, id => toLower(id))
var workspaceTargets = map(detectionWorkspaceIds, id => {
  subscriptionId: toLower(split(id, '/')[2])
  resourceGroup: split(id, '/')[4]
  name: last(split(id, '/'))
})
// Every subscription the app identity needs a role in, each once (union of arrays keeps one copy
// of each value: Bicep "Array functions", union).
var accessSubscriptions = union(
  sweptSubscriptionsLower,
  map(workspaceTargets, target => target.subscriptionId),
  map(rolloutResourceGroups, target => toLower(target.subscriptionId))
)

// Per subscription: the custom roles the app needs there (fleet reader, rollout, log query and
// table read), defined in that subscription, and their assignments on the subscription (fleet
// reader), the detection workspaces and tables, and the rollout resource groups.
module subscriptionAccess 'modules/subscriptionAccess.bicep' = [
  for subscriptionId in accessSubscriptions: {
    name: 'access-${uniqueString(subscriptionId, namePrefix)}'
    scope: subscription(subscriptionId)
    params: {
      namePrefix: namePrefix
      principalId: identity.properties.principalId
      sweptSubscriptionIds: sweptSubscriptionsLower
      workspaces: workspaceTargets
      detectionTables: detectionTables
      rolloutResourceGroups: rolloutResourceGroups
    }
  }
]

// The in-cluster reader (custom role with data actions) on each swept subscription, when asked.
module inClusterReader 'modules/inClusterReader.bicep' = [
  for subscriptionId in (grantInClusterRead ? sweptSubscriptionsLower : []): {
    name: 'in-cluster-${uniqueString(subscriptionId, namePrefix)}'
    scope: subscription(subscriptionId)
    params: {
      namePrefix: namePrefix
      principalId: identity.properties.principalId
    }
  }
]

// The runCommand fallback's role on each swept subscription, when asked (opt-in: see the param).
module inClusterRunCommand 'modules/inClusterRunCommand.bicep' = [
  for subscriptionId in (grantInClusterRunCommand ? sweptSubscriptionsLower : []): {
    name: 'in-cluster-run-${uniqueString(subscriptionId, namePrefix)}'
    scope: subscription(subscriptionId)
    params: {
      namePrefix: namePrefix
      principalId: identity.properties.principalId
    }
  }
]

// Regional topics (AKS) dead-letter with the events identity; the global Policy topic cannot carry
// an identity and dead-letters through Event Grid's own access (modules/eventTopic.bicep decides by
// the topic's location).
var deadLetter = {
  storageAccountId: deadLetterStorage.id
  // By symbol: the event subscriptions then wait for the container they dead-letter into.
  containerName: deadLetterContainer.name
  identityId: eventsIdentity.id
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
    // Event Grid checks the dead-letter destination when the subscription is created.
    dependsOn: [eventsDeadLetterRole]
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
      // location global: the module attaches no identity and dead-letters without one (issue 15.1).
      deadLetter: deadLetter
    }
  }
]

output functionAppName string = functionApp.name
output functionAppHost string = functionApp.properties.defaultHostName
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
output hostIdentityPrincipalId string = hostIdentity.properties.principalId
output eventsIdentityPrincipalId string = eventsIdentity.properties.principalId
output keyVaultName string = vault.name
output storageAccountName string = storage.name
output deadLetterStorageAccountName string = deadLetterStorage.name
