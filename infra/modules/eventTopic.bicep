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
@description('{ storageAccountId, containerName, identityId }. The identity is used on regional topics only; a global topic cannot carry one.')
param deadLetter object

@description('Delivery attempts before an event is dead-lettered. The functions are idempotent (event ids are recorded), so retries are safe.')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 10

// Only regional topics we create may carry a managed identity and dead-letter with it.
var reuseTopic = !empty(existingTopicName)

// A reused topic does not carry our identity, so it dead-letters the way the global topic does.
var deadLetterWithIdentity = toLower(location) != 'global' && !reuseTopic

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

resource createdTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = if (!reuseTopic) {
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
    deadLetterWithResourceIdentity: deadLetterWithIdentity ? deadLetterWithEventsIdentity : null
    // Without an identity, the documented dead-letter path (Learn "Set dead-letter location and
    // retry policy"): Event Grid writes to the container with its own access. Not verified here
    // against an account with shared keys disabled; see infra/README.md "Not verified".
    deadLetterDestination: deadLetterWithIdentity ? null : deadLetterDestination
  }
  // `topic` is a reference built from a name, so the order with the topic created above is explicit.
  dependsOn: [createdTopic]
}

output topicName string = topic.name
