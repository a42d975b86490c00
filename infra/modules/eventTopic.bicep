// One Event Grid system topic and its subscription to a function, with dead-lettering.
targetScope = 'resourceGroup'

param topicName string
param location string
param sourceId string
param topicType string
param includedEventTypes array
param functionId string
param deployEventSubscription bool
@description('{ storageAccountId, containerName, identityId }')
param deadLetter object

@description('Delivery attempts before an event is dead-lettered. The functions are idempotent (event ids are recorded), so retries are safe.')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 10

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: topicName
  location: location
  // The app's identity writes dead letters to its own storage account (it already holds
  // Storage Blob Data Contributor there), so no key or SAS is needed.
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${deadLetter.identityId}': {} }
  }
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
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: deadLetter.identityId
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetter.storageAccountId
          blobContainerName: deadLetter.containerName
        }
      }
    }
  }
}
