/**
 * Fleet snapshot folders (CONTRACTS.md §2): REST bodies exactly as Azure returns them. Loading
 * validates every file up front and fails with one error naming the file and the field, before
 * anything is served or written.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { describeZodError, FleetGuardError, formatIssuePath } from '../../lib/errors.js';
import { normalizeLocation } from '../../lib/model/cluster.js';
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
}

const CLUSTER_ID = /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.containerservice\/managedclusters\/[^/]+$/i;

const agentPoolSchema = z.looseObject({
  name: z.string().min(1),
  orchestratorVersion: z.string().nullish(),
  currentOrchestratorVersion: z.string().nullish(),
});

const clusterSchema = z.looseObject({
  id: z.string().regex(CLUSTER_ID, 'must be a managedClusters resource id'),
  name: z.string().min(1),
  location: z.string().min(1),
  tags: z.record(z.string(), z.string()).nullish(),
  sku: z.looseObject({ tier: z.string().nullish() }).nullish(),
  properties: z.looseObject({
    provisioningState: z.string().nullish(),
    kubernetesVersion: z.string().nullish(),
    currentKubernetesVersion: z.string().nullish(),
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
      patchVersions: z.record(z.string(), z.looseObject({ upgrades: z.array(z.string()).nullish() })).nullish(),
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

function badSnapshot(file: string, message: string): FleetGuardError {
  return new FleetGuardError('badInput', `${file}: ${message}`);
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw badSnapshot(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badSnapshot(file, `is not valid JSON (${(error as Error).message})`);
  }
}

function parseFile<T>(file: string, schema: z.ZodType<T>, describe?: (data: unknown, issuePath: readonly PropertyKey[]) => string): T {
  const data = readJson(file);
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  // The path as `value[1].properties`, followed by what `describe` says of the entry ("(cluster web-dev)").
  const where = (issuePath: readonly PropertyKey[]) => `${formatIssuePath(issuePath, 'indexed') || '(top level)'}${describe ? describe(data, issuePath) : ''}`;
  throw badSnapshot(file, describeZodError(result.error, { whole: '(top level)', path: where }));
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
  if (!existsSync(clustersFile)) throw badSnapshot(clustersFile, 'is missing (every snapshot needs it)');
  const clusters = parseFile(clustersFile, managedClustersSchema, clusterContext).value as JsonObject[];

  const seen = new Set<string>();
  for (const cluster of clusters) {
    const key = String(cluster['id']).toLowerCase();
    if (seen.has(key)) throw badSnapshot(clustersFile, `cluster ${String(cluster['id'])} appears twice`);
    seen.add(key);
  }

  const versionsByLocation = new Map<string, JsonObject>();
  const versionsDirectory = path.join(directory, 'kubernetesVersions');
  if (existsSync(versionsDirectory)) {
    for (const entry of readdirSync(versionsDirectory)
      .filter((name) => name.endsWith('.json'))
      .sort()) {
      const location = normalizeLocation(entry.slice(0, -'.json'.length));
      versionsByLocation.set(location, parseFile(path.join(versionsDirectory, entry), kubernetesVersionsSchema));
    }
  }
  clusters.forEach((cluster, index) => {
    const location = normalizeLocation(String(cluster['location']));
    if (!versionsByLocation.has(location)) {
      throw badSnapshot(
        clustersFile,
        `value[${index}] (cluster ${String(cluster['name'])}) is in location '${String(cluster['location'])}', but kubernetesVersions/${location}.json is missing`,
      );
    }
  });

  const policyFile = path.join(directory, 'policyStates.json');
  const policyStates = existsSync(policyFile) ? (parseFile(policyFile, policyStatesSchema) as JsonObject) : undefined;
  const componentFile = path.join(directory, 'componentPolicyStates.json');
  const componentPolicyStates = existsSync(componentFile) ? (parseFile(componentFile, componentPolicyStatesSchema) as JsonObject) : undefined;

  const definitionsFile = path.join(directory, 'policyDefinitions.json');
  const policyDefinitions = existsSync(definitionsFile) ? (parseFile(definitionsFile, policyDefinitionsSchema) as JsonObject) : undefined;

  const logs = new Map<string, JsonObject>();
  const logsDirectory = path.join(directory, 'logs');
  if (existsSync(logsDirectory)) {
    for (const entry of readdirSync(logsDirectory)
      .filter((name) => name.endsWith('.json'))
      .sort()) {
      logs.set(entry.slice(0, -'.json'.length).toLowerCase(), parseFile(path.join(logsDirectory, entry), logsSchema));
    }
  }
  const diagnosticFile = path.join(directory, 'diagnosticSettings.json');
  const diagnosticSettings = existsSync(diagnosticFile)
    ? new Map(Object.entries(parseFile(diagnosticFile, diagnosticSettingsSchema)).map(([id, body]) => [id.toLowerCase(), body as JsonObject]))
    : undefined;
  for (const id of diagnosticSettings?.keys() ?? []) {
    if (!seen.has(id)) throw badSnapshot(diagnosticFile, `names cluster ${id}, which managedClusters.json does not list`);
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
  };
}
