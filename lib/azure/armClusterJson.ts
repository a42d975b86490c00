/**
 * A managed cluster as ARM's REST API returns it (Resource Graph rows carry the same body) →
 * the shape the ContainerService SDK deserialises it to, so one converter (`toCluster`) reads both.
 * The SDK lifts `properties.*` to the top level and renames a few fields; only the renames of
 * fields the rules read matter here.
 */
import type { ManagedCluster } from '@azure/arm-containerservice';

import type { Cluster } from '../model/cluster.js';
import { toCluster } from './containerServiceConverters.js';

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** REST name → SDK name, per object path (`''` = the properties bag). */
const RENAMES: Record<string, Record<string, string>> = {
  '': { enableRBAC: 'enableRbac', privateFQDN: 'privateFqdn', azurePortalFQDN: 'azurePortalFqdn' },
  aadProfile: { enableAzureRBAC: 'enableAzureRbac' },
};

function renamed(value: unknown, renames: Record<string, string> | undefined): unknown {
  if (renames === undefined || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, entry]) => [renames[key] ?? key, entry]));
}

export function sdkShapeOfArmCluster(raw: unknown): ManagedCluster {
  const resource = record(raw);
  const properties = record(renamed(record(resource['properties']), RENAMES['']));
  const lifted: Record<string, unknown> = { ...properties };
  for (const [path, renames] of Object.entries(RENAMES)) {
    if (path !== '' && path in lifted) lifted[path] = renamed(lifted[path], renames);
  }
  // Resource-level fields win over anything of the same name inside `properties`.
  for (const key of ['id', 'name', 'type', 'location', 'tags', 'sku', 'identity', 'extendedLocation', 'kind']) {
    if (key in resource) lifted[key] = resource[key];
  }
  return lifted as unknown as ManagedCluster;
}

/** Converts a REST managed cluster; throws `badInput` (naming the field) as `toCluster` does. */
export function clusterFromArmJson(raw: unknown): Cluster {
  return toCluster(sdkShapeOfArmCluster(raw));
}
