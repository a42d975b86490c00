// One Event Grid system topic and its subscription to a function, with dead-lettering.
targetScope = 'resourceGroup'

param topicName string
param location string
param sourceId string
param topicType string
param includedEventTypes array
param functionId string
param deployEventSubscription bool
@description('{ storageAccountId, containerName, identityId }. The identity is used on regional topics only; a global topic cannot carry one.')
param deadLetter object

@description('Delivery attempts before an event is dead-lettered. The functions are idempotent (event ids are recorded), so retries are safe.')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 10

// Only regional topics may carry a managed identity and dead-letter with it.
var deadLetterWithIdentity = toLower(location) != 'global'

var deadLetterDestination = {
  endpointType: 'StorageBlob'
  properties: {
    resourceId: deadLetter.storageAccountId
    blobContainerName: deadLetter.containerName
  }
}

var topicIdentity = {
  type: 'UserAssigned'
  userAssignedIdentities: { '${deadLetter.identityId}': {} }
}

var deadLetterWithEventsIdentity = {
  identity: {
    type: 'UserAssigned'
    userAssignedIdentity: deadLetter.identityId
  }
  deadLetterDestination: deadLetterDestination
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: topicName
  location: location
  // Regional topics: the events identity (main.bicep eventsIdentity, Storage Blob Data Contributor on
  // the dead-letter container only) writes dead letters, so no key or SAS is needed. Global topics
  // (a subscription source, location global) cannot have a managed identity (Learn "Assign a
  // system-managed identity to an Event Grid system topic", Global Azure sources), so none is set.
  identity: deadLetterWithIdentity ? topicIdentity : null
  properties: {
    source: sourceId
    topicType: topicType
  }
}

resource subscriptionToFunction 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (deployEventSubscription) {
  parent: topic
  name: 'fleetguard'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: functionId
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: { includedEventTypes: includedEventTypes }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: deadLetterWithIdentity ? deadLetterWithEventsIdentity : null
    // Without an identity, the documented dead-letter path (Learn "Set dead-letter location and
    // retry policy"): Event Grid writes to the container with its own access. Not verified here
    // against an account with shared keys disabled; see infra/README.md "Not verified".
    deadLetterDestination: deadLetterWithIdentity ? null : deadLetterDestination
  }
}
