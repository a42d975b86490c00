/**
 * Fleet snapshot folders (CONTRACTS.md §2): REST bodies exactly as Azure returns them. Loading
 * validates every file up front and fails with one error naming the file and the field, before
 * anything is served or written.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { DETECTION_IDS } from '../../lib/detections/catalog.js';
import { describeZodError, FleetGuardError, formatIssuePath } from '../../lib/errors.js';
import { normalizeLocation } from '../../lib/model/cluster.js';
import { badSnapshotFile, readSnapshotJson } from './snapshotFile.js';
import { type HintContext, recognisedLayout, SNAPSHOT_LAYOUT, type SnapshotFileKind, subscriptionOf } from './snapshotHints.js';
import { loadKubernetesFolders, type SnapshotKubernetes } from './snapshotKubernetes.js';

export type JsonObject = Record<string, unknown>;

export interface FleetSnapshot {
  /** Where it was read from, for messages. */
  source: string;
  /** Cluster resources as ARM returns them (with `properties`). */
  clusters: JsonObject[];
  /** Normalised location → body of `GET .../kubernetesVersions`. */
  versionsByLocation: Map<string, JsonObject>;
  /** Body of `policyStates/latest/queryResults`, when the snapshot has one. */
  policyStates: JsonObject | undefined;
  /**
   * Component states (pods, namespaces) as `componentPolicyStates/latest/queryResults` returns them,
   * of any clusters, in one `{"value": [...]}` (our extension of CONTRACTS.md §2, optional).
   */
  componentPolicyStates?: JsonObject | undefined;
  /**
   * Policy definitions and initiatives (`policyDefinitions.json`, optional): `{"value": [...]}` of
   * bodies as `GET .../policyDefinitions/{name}` and `.../policySetDefinitions/{name}` return them
   * (at least `id`, `name`, `type`, `properties.displayName`). Resource Graph answers the names from it.
   */
  policyDefinitions?: JsonObject | undefined;
  /** Detection id → body of a Log Analytics query response. */
  logs: Map<string, JsonObject>;
  /**
   * Lower-cased cluster id → body of `GET {clusterId}/providers/Microsoft.Insights/diagnosticSettings`,
   * from the optional `diagnosticSettings.json` (our extension of CONTRACTS.md §2). Absent: the
   * snapshot does not know the settings, and AKS-AUDIT-LOGS is not evaluated.
   */
  diagnosticSettings?: Map<string, JsonObject>;
  /** The `kubernetes/` folders (CONTRACTS.md §5), by lower-cased cluster id; absent in snapshots built in code. */
  kubernetes?: SnapshotKubernetes;
  /** What loading noticed without refusing the snapshot (an empty fleet), one line each naming the file. */
  warnings?: string[];
}

const CLUSTER_ID = /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.containerservice\/managedclusters\/[^/]+$/i;

/**
 * Kubernetes versions as the AKS REST API writes them (specification/containerservice, ManagedClusterProperties
 * and ManagedClusterAgentPoolProfileProperties): `kubernetesVersion` and `orchestratorVersion` are
 * "Both patch version <major.minor.patch> and <major.minor> are supported"; the `current*` fields hold
 * "the full <major.minor.patch> version being used"; kubernetesVersions lists minors with their patches.
 * A cluster on `banana` is a broken snapshot, not a cluster on an unsupported version.
 */
function versionOf(pattern: RegExp, example: string) {
  return z.string().regex(pattern, { error: (issue) => `must be a Kubernetes version such as ${example}, not '${String(issue.input)}'` });
}
const REQUESTED_VERSION = versionOf(/^\d+\.\d+(\.\d+)?$/, '1.31 or 1.31.3');
const PATCH_VERSION = versionOf(/^\d+\.\d+\.\d+$/, '1.31.3');

const agentPoolSchema = z.looseObject({
  name: z.string().min(1),
  orchestratorVersion: REQUESTED_VERSION.nullish(),
  currentOrchestratorVersion: PATCH_VERSION.nullish(),
});

const clusterSchema = z.looseObject({
  id: z.string().regex(CLUSTER_ID, 'must be a managedClusters resource id'),
  name: z.string().min(1),
  location: z.string().min(1),
  tags: z.record(z.string(), z.string()).nullish(),
  sku: z.looseObject({ tier: z.string().nullish() }).nullish(),
  properties: z.looseObject({
    provisioningState: z.string().nullish(),
    kubernetesVersion: REQUESTED_VERSION.nullish(),
    currentKubernetesVersion: PATCH_VERSION.nullish(),
    agentPoolProfiles: z.array(agentPoolSchema).nullish(),
    addonProfiles: z.record(z.string(), z.looseObject({ enabled: z.boolean() }).nullable()).nullish(),
    supportPlan: z.string().nullish(),
  }),
});

const managedClustersSchema = z.looseObject({ value: z.array(clusterSchema), nextLink: z.string().nullish() });

const kubernetesVersionsSchema = z.looseObject({
  values: z.array(
    z.looseObject({
      version: z.string().regex(/^\d+\.\d+$/, 'must be a minor version such as 1.31'),
      isPreview: z.boolean().nullish(),
      isDefault: z.boolean().nullish(),
      capabilities: z.looseObject({ supportPlan: z.array(z.string()).nullish() }).nullish(),
      patchVersions: z.record(PATCH_VERSION, z.looseObject({ upgrades: z.array(PATCH_VERSION).nullish() })).nullish(),
    }),
  ),
});

const policyStatesSchema = z.looseObject({ value: z.array(z.looseObject({ resourceId: z.string(), complianceState: z.string().nullish() })) });
const componentPolicyStatesSchema = z.looseObject({
  value: z.array(z.looseObject({ resourceId: z.string(), policyDefinitionId: z.string(), componentId: z.string(), complianceState: z.string().nullish() })),
});
/** Each entry: the List body (api-version 2021-05-01-preview) of the cluster named by the key. */
const diagnosticSettingsSchema = z.record(
  z.string().regex(CLUSTER_ID, 'keys must be managedClusters resource ids'),
  z.looseObject({
    value: z.array(
      z.looseObject({
        name: z.string().min(1),
        properties: z.looseObject({
          logs: z.array(z.looseObject({ category: z.string().nullish(), categoryGroup: z.string().nullish(), enabled: z.boolean() })).nullish(),
        }),
      }),
    ),
  }),
);
const policyDefinitionsSchema = z.looseObject({
  value: z.array(
    z.looseObject({
      id: z.string().min(1),
      name: z.string().min(1),
      type: z
        .string()
        .regex(/^microsoft\.authorization\/policy(set)?definitions$/i, 'must be Microsoft.Authorization/policyDefinitions or policySetDefinitions'),
      properties: z.looseObject({ displayName: z.string().nullish(), policyType: z.string().nullish() }),
    }),
  ),
});
const logsSchema = z.looseObject({
  tables: z.array(
    z.looseObject({ name: z.string(), columns: z.array(z.looseObject({ name: z.string(), type: z.string() })), rows: z.array(z.array(z.unknown())) }),
  ),
});

function parseFile<T>(
  file: string,
  kind: SnapshotFileKind,
  schema: z.ZodType<T>,
  options: { describe?: (data: unknown, issuePath: readonly PropertyKey[]) => string; context?: Omit<HintContext, 'file'> } = {},
): T {
  const data = readSnapshotJson(file);
  const recognised = recognisedLayout(kind, data, { ...options.context, file });
  if (recognised !== undefined) throw badSnapshotFile(file, recognised);
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const { describe } = options;
  // The path as `value[1].properties`, followed by what `describe` says of the entry ("(cluster web-dev)").
  const where = (issuePath: readonly PropertyKey[]) => `${formatIssuePath(issuePath, 'indexed') || '(top level)'}${describe ? describe(data, issuePath) : ''}`;
  const problem = describeZodError(result.error, { whole: '(top level)', path: where });
  // A problem with the file's outer layout (not one entry) says what the layout should be.
  const outer = (result.error.issues[0]?.path.length ?? 0) <= 1;
  throw badSnapshotFile(file, outer ? `${problem}; expected ${SNAPSHOT_LAYOUT[kind]}` : problem);
}

/** Names the cluster an issue is about: `value[2] (web-dev)`. */
function clusterContext(data: unknown, issuePath: readonly PropertyKey[]): string {
  if (issuePath[0] !== 'value' || typeof issuePath[1] !== 'number') return '';
  const value = (data as { value?: unknown[] }).value?.[issuePath[1]];
  const name = typeof value === 'object' && value !== null ? (value as JsonObject)['name'] : undefined;
  return typeof name === 'string' ? ` (cluster ${name})` : '';
}

export function loadSnapshot(directory: string): FleetSnapshot {
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new FleetGuardError('badInput', `${directory}: snapshot folder does not exist`);
  }
  const clustersFile = path.join(directory, 'managedClusters.json');
  if (!existsSync(clustersFile)) throw badSnapshotFile(clustersFile, 'is missing (every snapshot needs it)');
  const clusters = parseFile(clustersFile, 'managedClusters', managedClustersSchema, { describe: clusterContext }).value as JsonObject[];
  const warnings: string[] = [];
  if (clusters.length === 0) {
    warnings.push(`${clustersFile}: "value" is empty, so there is no cluster to sweep (the wrong subscription, or a capture that saw none?)`);
  }

  const seen = new Set<string>();
  for (const cluster of clusters) {
    const key = String(cluster['id']).toLowerCase();
    if (seen.has(key)) throw badSnapshotFile(clustersFile, `cluster ${String(cluster['id'])} appears twice`);
    seen.add(key);
  }

  const versionsByLocation = new Map<string, JsonObject>();
  const versionsDirectory = path.join(directory, 'kubernetesVersions');
  if (existsSync(versionsDirectory)) {
    for (const entry of readdirSync(versionsDirectory)
      .filter((name) => name.endsWith('.json'))
      .sort()) {
      const location = normalizeLocation(entry.slice(0, -'.json'.length));
      const subscriptionId = subscriptionOf(clusters.filter((cluster) => normalizeLocation(String(cluster['location'])) === location));
      versionsByLocation.set(
        location,
        parseFile(path.join(versionsDirectory, entry), 'kubernetesVersions', kubernetesVersionsSchema, { context: { subscriptionId, location } }),
      );
    }
  }
  clusters.forEach((cluster, index) => {
    const location = normalizeLocation(String(cluster['location']));
    if (!versionsByLocation.has(location)) {
      throw badSnapshotFile(
        clustersFile,
        `value[${index}] (cluster ${String(cluster['name'])}) is in location '${String(cluster['location'])}', but kubernetesVersions/${location}.json is missing`,
      );
    }
  });

  const policyFile = path.join(directory, 'policyStates.json');
  const policyStates = existsSync(policyFile) ? (parseFile(policyFile, 'policyStates', policyStatesSchema) as JsonObject) : undefined;
  const componentFile = path.join(directory, 'componentPolicyStates.json');
  const componentPolicyStates = existsSync(componentFile)
    ? (parseFile(componentFile, 'componentPolicyStates', componentPolicyStatesSchema) as JsonObject)
    : undefined;

  const definitionsFile = path.join(directory, 'policyDefinitions.json');
  const policyDefinitions = existsSync(definitionsFile) ? (parseFile(definitionsFile, 'policyDefinitions', policyDefinitionsSchema) as JsonObject) : undefined;

  const logs = new Map<string, JsonObject>();
  const logsDirectory = path.join(directory, 'logs');
  if (existsSync(logsDirectory)) {
    for (const entry of readdirSync(logsDirectory)
      .filter((name) => name.endsWith('.json'))
      .sort()) {
      const detectionId = entry.slice(0, -'.json'.length).toLowerCase();
      const file = path.join(logsDirectory, entry);
      // A misspelled name would leave its detection without data and resolve its findings: refused.
      if (!DETECTION_IDS.includes(detectionId)) {
        throw badSnapshotFile(file, `'${detectionId}' is not a detection id (known: ${DETECTION_IDS.join(', ')})`);
      }
      logs.set(detectionId, parseFile(file, 'logs', logsSchema));
    }
  }
  const diagnosticFile = path.join(directory, 'diagnosticSettings.json');
  const diagnosticSettings = existsSync(diagnosticFile)
    ? new Map(
        Object.entries(parseFile(diagnosticFile, 'diagnosticSettings', diagnosticSettingsSchema)).map(([id, body]) => [id.toLowerCase(), body as JsonObject]),
      )
    : undefined;
  for (const id of diagnosticSettings?.keys() ?? []) {
    if (!seen.has(id)) throw badSnapshotFile(diagnosticFile, `names cluster ${id}, which managedClusters.json does not list`);
  }
  const kubernetes = loadKubernetesFolders(
    directory,
    clusters.map((cluster) => String(cluster['id'])),
  );
  return {
    source: directory,
    clusters,
    versionsByLocation,
    policyStates,
    componentPolicyStates,
    policyDefinitions,
    logs,
    ...(diagnosticSettings === undefined ? {} : { diagnosticSettings }),
    kubernetes,
    warnings,
  };
}
