// One Event Grid system topic (created, or reused when the source already has one) and its
// subscription to a function, with dead-lettering.
targetScope = 'resourceGroup'

@description('Name of the system topic this deployment creates for the source.')
param topicName string

// Event Grid allows one system topic per source ("Only one system topic is allowed per source";
// learn.microsoft.com/azure/event-grid/system-topics). A cluster or subscription that already has one
// (made in the portal, by Defender or another tool) would fail the deployment, so that topic is reused.
@description('Name of the system topic that already exists for this source in this resource group; empty = create topicName. infra/README.md shows how to find it.')
param existingTopicName string = ''

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

var reuseTopic = !empty(existingTopicName)

resource createdTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = if (!reuseTopic) {
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

// The topic the subscription hangs off: the one created above, or the one that was already there.
// A reference only (`existing`), so a reused topic is never modified.
resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: reuseTopic ? existingTopicName : topicName
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
  // `topic` is a reference built from a name, so the order with the topic created above is explicit.
  dependsOn: [createdTopic]
}

output topicName string = topic.name
