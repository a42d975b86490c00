/**
 * Strict parsing of the managed-cluster ids that arrive in Event Grid topics and subjects. The id
 * becomes the path of an ARM GET made with the app's identity, so anything but the exact grammar is
 * refused: no `.` or `..` segment (a URL resolver would walk up the path), no empty segment, no
 * percent-encoding (an encoded `/` would add a segment after decoding), no character a name cannot
 * hold.
 */
import { FleetGuardError } from '../errors.js';

export interface ClusterReference {
  /** `/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}`, as given. */
  id: string;
  /** Lower case. */
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * Resource group: 1-90 underscores, hyphens, periods, parentheses, and letters or digits as .NET's
 * Char.IsLetterOrDigit defines them (UnicodeCategory Lu, Ll, Lt, Lm, Lo, Nd); can't end with a
 * period (which also rules out `.` and `..`). Managed cluster: 1-63 alphanumerics, underscores and
 * hyphens, starting and ending with an alphanumeric. Source: Learn, "Naming rules and restrictions
 * for Azure resources" (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules),
 * rows Microsoft.Resources/resourcegroups and Microsoft.ContainerService/managedClusters.
 */
const RESOURCE_GROUP = /^[\p{Lu}\p{Ll}\p{Lt}\p{Lm}\p{Lo}\p{Nd}_\-.()]{0,89}[\p{Lu}\p{Ll}\p{Lt}\p{Lm}\p{Lo}\p{Nd}_\-()]$/u;
const CLUSTER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;
/**
 * A segment below the cluster (an agent pool, a namespace object in a policy subject): ARM segments
 * are names or types, never empty, `.`, `..`, percent-encoded, or holding control characters,
 * `\`, `?` or `#` (Learn: "Don't use # in a resource name since it interferes with URL parsing").
 */
// eslint-disable-next-line no-control-regex
const CHILD_SEGMENT = /^(?!\.{1,2}$)[^\s%\\?#\u0000-\u001f\u007f]{1,260}$/u;

/** Longest id considered: the cluster part is at most ~250 characters; a child path adds a few segments. */
const MAX_ID_LENGTH = 2_048;

function refuse(field: string, value: string, why: string): never {
  throw new FleetGuardError('badInput', `${field}: not a managed cluster resource id (${why}): ${JSON.stringify(value.slice(0, 200))}`);
}

/**
 * The managed cluster `resourceId` names: the cluster itself or, with `allowChild`, a resource
 * under it (policy subjects name pools and in-cluster objects). `providers`, the namespace and the
 * type compare without case, as ARM's do. Throws `badInput` naming `field` otherwise.
 */
export function parseClusterResourceId(resourceId: string, field: string, options: { allowChild?: boolean } = {}): ClusterReference {
  if (resourceId.length > MAX_ID_LENGTH) refuse(field, resourceId, `longer than ${MAX_ID_LENGTH} characters`);
  const segments = resourceId.split('/');
  if (segments[0] !== '') refuse(field, resourceId, 'must start with /subscriptions/');
  const [, subscriptions, subscriptionId, resourceGroups, resourceGroup, providers, namespace, type, name, ...child] = segments;
  if (subscriptions?.toLowerCase() !== 'subscriptions' || subscriptionId === undefined || !GUID.test(subscriptionId))
    refuse(field, resourceId, 'the subscription must be a GUID');
  if (resourceGroups?.toLowerCase() !== 'resourcegroups' || resourceGroup === undefined || !RESOURCE_GROUP.test(resourceGroup))
    refuse(field, resourceId, 'the resource group name breaks the Azure naming rules');
  if (
    providers?.toLowerCase() !== 'providers' ||
    namespace?.toLowerCase() !== 'microsoft.containerservice' ||
    type?.toLowerCase() !== 'managedclusters' ||
    name === undefined ||
    !CLUSTER_NAME.test(name)
  )
    refuse(field, resourceId, 'expected providers/Microsoft.ContainerService/managedClusters/{name} with a valid cluster name');
  if (child.length > 0 && !options.allowChild) refuse(field, resourceId, 'nothing may follow the cluster name');
  if (child.some((segment) => !CHILD_SEGMENT.test(segment))) refuse(field, resourceId, 'an empty, relative or encoded segment');
  return {
    id: segments.slice(0, 9).join('/'),
    subscriptionId: subscriptionId.toLowerCase(),
    resourceGroup,
    name,
  };
}

/** Whether `resourceId` is under Microsoft.ContainerService/managedClusters at all (well-formed or not). */
export function namesManagedCluster(resourceId: string): boolean {
  return /\/providers\/microsoft\.containerservice\/managedclusters(\/|$)/i.test(resourceId);
}
