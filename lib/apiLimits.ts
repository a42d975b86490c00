/**
 * The limits of the HTTP API's requests, in one place (README, "API limits"): every array, record
 * and string of a request body has one, and the body itself has a byte limit checked before it is
 * read. Each is sized from the largest legitimate request, so a refusal (413 or 400 naming the
 * limit) only ever meets a malformed or hostile one.
 */

/**
 * The largest fleet the app is built and measured for: thousands of clusters, the sweep benchmark's
 * 5,000 (BENCHMARKS.md). A request names at most this many clusters or subscriptions.
 */
export const MAX_FLEET_CLUSTERS = 5000;

/**
 * An AKS resource id at its longest: `/subscriptions/{36}/resourceGroups/{90}/providers/
 * Microsoft.ContainerService/managedClusters/{63}` is 274 characters (resource group names are at
 * most 90, AKS cluster names 63; Learn: "Naming rules and restrictions for Azure resources",
 * https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
 * 300 leaves room for a trailing slash or spaces that resourceKey() trims.
 */
export const MAX_CLUSTER_ID_LENGTH = 300;

/** A subscription id is a GUID. */
export const MAX_SUBSCRIPTION_ID_LENGTH = 36;

/**
 * Azure tags: at most 50 per resource, names up to 512 characters, values up to 256 (Learn: "Use tags
 * to organize your Azure resources", limitations,
 * https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations).
 */
export const AZURE_TAGS = { maxEntries: 50, nameLength: 512, valueLength: 256 } as const;

/** Waves of one rollout: a wave per ring or region, far fewer than 100 in any real plan. */
export const MAX_WAVES = 100;

/**
 * The byte limit of a rollout, retry or rollback request body. The largest legitimate one names
 * every cluster of the largest fleet by resource id: explicit waves over {@link MAX_FLEET_CLUSTERS}
 * ids of {@link MAX_CLUSTER_ID_LENGTH}-class length (274 + 3 bytes of quotes and comma each) is
 * 1.39 MB; waves and `scope.clusterIds` both listing 5,000 typical ids (~150 characters) is 1.5 MB.
 * 2 MiB admits both with room; a 60 MB body is refused before a byte of it is read.
 */
export const ROLLOUT_BODY_LIMIT_BYTES = 2 * 1_048_576;

/**
 * The byte limit of a silence body: its fields at their limits (50 tags at 512 + 256 characters, a
 * 500-character cluster, a 1,000-character comment) are about 41 KB of JSON.
 */
export const SILENCE_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The byte limit of a Slack interaction (interactions/slackInteraction.ts). Slack includes the whole
 * message in a block_actions payload: up to 50 blocks of 3,000 characters and 40,000 of text
 * (https://docs.slack.dev/reference/block-kit/blocks, chat.postMessage "text" limits), about 190 KB of
 * JSON, form-encoded (percent-encoding can triple it): 1 MiB holds any real press. The body is read
 * before the signature is checked (the signature covers it), so this bounds what a stranger can send.
 */
export const SLACK_INTERACTION_BODY_LIMIT_BYTES = 1_048_576;
