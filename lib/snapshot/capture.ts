/**
 * `fleetguard snapshot capture`: a fleet snapshot folder (CONTRACTS.md §2 and §5) from a real
 * fleet, so it can be audited and rollouts rehearsed offline. Every file holds what the service
 * returned (the ARM bodies, not our model of them), merged across pages and subscriptions the way
 * §2 allows; what could not be captured is named in `capture-report.json`, never silently left out.
 * Nothing secret is written: no kubeconfig or token (the in-cluster reader keeps them), no Secrets
 * (never read), and the write-only secret fields of a managed cluster are dropped should ARM ever
 * return them.
 */
import pLimit from 'p-limit';

import type { Detection } from '../detections/catalog.js';
import { prepareDetectionQuery } from '../detections/query.js';
import { toFleetGuardError } from '../errors.js';
import { type Cluster, normalizeLocation, resourceKey } from '../model/cluster.js';
import { type InClusterReader, KUBERNETES_RESOURCES, type KubernetesResource } from '../model/inCluster.js';
import type { PolicyDefinitionName } from '../model/policyState.js';

type Json = Record<string, unknown>;

/** The bodies Azure returns, read by lib/azure/snapshotBodies.ts. */
export interface SnapshotSource {
  listSubscriptionIds(): Promise<string[]>;
  listClusters(subscriptionId: string): Promise<Array<{ body: Json; cluster: Cluster | undefined; problem?: string }>>;
  kubernetesVersions(subscriptionId: string, location: string): Promise<Json>;
  policyStates(subscriptionId: string): Promise<Json[]>;
  queryLogs(workspaceResourceId: string, query: string, lookbackMinutes: number): Promise<Json>;
  /** Body of `GET {clusterId}/providers/Microsoft.Insights/diagnosticSettings`; a source without it captures none. */
  diagnosticSettings?(cluster: Cluster): Promise<Json>;
  /** Display names of these policy definition and initiative ids (one Resource Graph query); absent: no `policyDefinitions.json`. */
  policyDefinitionNames?(ids: readonly string[], subscriptionIds: readonly string[]): Promise<PolicyDefinitionName[]>;
}

/** Where the files go; `relativePath` uses `/` and stays inside the snapshot folder. */
export interface SnapshotWriter {
  writeJson(relativePath: string, body: unknown): Promise<void>;
}

export interface CaptureDependencies {
  source: SnapshotSource;
  /** Calls queued and settled so far, as they happen (the CLI shows them on a terminal's stderr). */
  onProgress?: (progress: { stage: string; done: number; total: number }) => void;
  /** The in-cluster reader (the same port the sweep uses); undefined when this build has none. */
  inCluster: InClusterReader | undefined;
  writer: SnapshotWriter;
  detections: readonly Detection[];
  now: () => Date;
}

export interface CaptureOptions {
  /** Subscriptions to capture; empty: every enabled subscription the identity sees. */
  subscriptions: readonly string[];
  /** Workspaces to query besides those the clusters reference (the sweep's configured ones). */
  configuredWorkspaces: readonly string[];
  lookbackMinutes: number;
  thresholds: Readonly<Record<string, number>>;
  concurrency: number;
}

type Outcome = { state: 'captured' } | { state: 'failed'; reason: string; message: string };

export interface CaptureReport {
  capturedAt: string;
  /** `complete`, `partial` (something failed and is named below) or `failed` (no subscription could be read). */
  status: 'complete' | 'partial' | 'failed';
  subscriptions: Array<{ subscriptionId: string; clusters: number } & Outcome>;
  /** Clusters ARM returned that our reader cannot read (kept in managedClusters.json as returned). */
  unreadableClusters: Array<{ id: string; problem: string }>;
  kubernetesVersions: Array<{ location: string } & Outcome>;
  policyStates: Array<{ subscriptionId: string; states: number } & Outcome>;
  /** The display names of the definitions and initiatives the non-compliant states name (`policyDefinitions.json`); absent when none were asked. */
  policyDefinitions?: { definitions: number } & Outcome;
  logs: Array<{ detectionId: string; workspace: string; state: 'complete' | 'partial' | 'failed'; message?: string }>;
  /** One entry per cluster: `checked` with the files written, or why its objects are not in the snapshot. */
  kubernetes: Array<{ clusterId: string; state: string; files?: string[]; unread?: Partial<Record<KubernetesResource, string>>; reason?: string }>;
  /** Per cluster: its diagnostic settings captured (in `diagnosticSettings.json`), or why not (then AKS-AUDIT-LOGS is not evaluated offline). */
  diagnosticSettings?: Array<{ clusterId: string } & Outcome>;
  /** Secret fields removed from a cluster body (write-only in the AKS API; never expected back). */
  redacted: Array<{ clusterId: string; fields: string[] }>;
}

/**
 * Write-only secrets of a managed cluster (arm-containerservice 25.3.0 models: "The secret password
 * associated with the service principal in plain text", the Windows admin password, the legacy
 * AAD server app secret). ARM does not return them; should a body ever carry one, it is dropped.
 */
const SECRET_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ['servicePrincipalProfile', 'secret'],
  ['windowsProfile', 'adminPassword'],
  ['aadProfile', 'serverAppSecret'],
];

function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/** The body without secret fields (a copy when one is present), and the fields removed. */
export function withoutSecrets(body: Json): { body: Json; removed: string[] } {
  const properties = record(body['properties']);
  if (properties === undefined) return { body, removed: [] };
  const removed: string[] = [];
  const copy: Json = { ...properties };
  for (const [profile, field] of SECRET_FIELDS) {
    const section = record(copy[profile]);
    if (section === undefined || !(field in section)) continue;
    const rest = { ...section };
    delete rest[field];
    copy[profile] = rest;
    removed.push(`properties.${profile}.${field}`);
  }
  return removed.length === 0 ? { body, removed } : { body: { ...body, properties: copy }, removed };
}

/**
 * A List body as `kubectl get {resource} -A -o json` writes it (§5): `kind: List`, and every item
 * with its `apiVersion` and `kind`, which the API server leaves out of typed lists
 * (`NamespaceList` items). A body already in that form is kept as it is. Items of kind Secret are
 * never written (none of the resources read holds them; this only guards the rule).
 */
export function asKubectlList(body: unknown): Json {
  const list = record(body) ?? {};
  const items = Array.isArray(list['items']) ? (list['items'] as unknown[]) : [];
  const kind = typeof list['kind'] === 'string' ? list['kind'] : 'List';
  const itemKind = kind !== 'List' && kind.endsWith('List') ? kind.slice(0, -'List'.length) : undefined;
  const apiVersion = typeof list['apiVersion'] === 'string' ? list['apiVersion'] : 'v1';
  const converted = items
    .map((item) => {
      const object = record(item) ?? {};
      return itemKind === undefined || (typeof object['kind'] === 'string' && typeof object['apiVersion'] === 'string')
        ? object
        : { apiVersion, kind: itemKind, ...object };
    })
    .filter((object) => object['kind'] !== 'Secret');
  return { apiVersion: 'v1', items: converted, kind: 'List', metadata: { resourceVersion: '' } };
}

/** A path segment from a cluster id, refused if it could leave its folder. */
function segment(value: string): string {
  if (value === '' || value === '.' || value === '..' || /[/\\\0]/.test(value)) throw new Error(`'${value}' cannot be a folder name`);
  return value;
}

function failure(error: unknown, context: string): { state: 'failed'; reason: string; message: string } {
  const problem = toFleetGuardError(error, context);
  return { state: 'failed', reason: problem.reason, message: problem.message };
}

/**
 * Merges the bodies one detection returned from several workspaces into one (§2 holds one file per
 * detection): rows of tables of the same name and columns are concatenated, a row returned by two
 * workspaces kept once (a snapshot row is served to every workspace its cluster reports to). A
 * partial or failed workspace leaves an `error` in the file, so an offline sweep keeps the
 * detection's findings instead of resolving them.
 */
export function mergeLogBodies(bodies: readonly Json[], failures: readonly string[]): Json {
  const tables: Json[] = [];
  const seen = new Map<number, Set<string>>();
  const errors: unknown[] = [];
  for (const body of bodies) {
    if (body['error'] !== undefined) errors.push(body['error']);
    for (const table of Array.isArray(body['tables']) ? (body['tables'] as unknown[]) : []) {
      const entry = record(table) ?? {};
      const rows = Array.isArray(entry['rows']) ? (entry['rows'] as unknown[]) : [];
      let index = tables.findIndex(
        (existing) => existing['name'] === entry['name'] && JSON.stringify(existing['columns']) === JSON.stringify(entry['columns']),
      );
      if (index === -1) {
        tables.push({ ...entry, rows: [] });
        index = tables.length - 1;
        seen.set(index, new Set());
      }
      const target = tables[index] as Json;
      const keys = seen.get(index) as Set<string>;
      for (const row of rows) {
        const key = JSON.stringify(row);
        if (keys.has(key)) continue;
        keys.add(key);
        (target['rows'] as unknown[]).push(row);
      }
    }
  }
  const error =
    errors.length === 0 && failures.length === 0
      ? undefined
      : bodies.length === 1 && failures.length === 0
        ? errors[0]
        : {
            code: 'PartialError',
            message: 'Some workspaces answered partly or not at all when this snapshot was captured.',
            details: [...errors, ...failures.map((message) => ({ code: 'WorkspaceFailed', message }))],
          };
  return { tables: tables.length > 0 ? tables : [{ name: 'PrimaryResult', columns: [], rows: [] }], ...(error === undefined ? {} : { error }) };
}

/** Captures the fleet; the report is also written as `capture-report.json`. */
export async function captureSnapshot(deps: CaptureDependencies, options: CaptureOptions): Promise<CaptureReport> {
  const limit = countingLimit(pLimit(options.concurrency), deps.onProgress);
  const report: CaptureReport = {
    capturedAt: deps.now().toISOString(),
    status: 'complete',
    subscriptions: [],
    unreadableClusters: [],
    kubernetesVersions: [],
    policyStates: [],
    logs: [],
    kubernetes: [],
    redacted: [],
  };
  let subscriptions = [...options.subscriptions];
  if (subscriptions.length === 0) subscriptions = await deps.source.listSubscriptionIds();

  // Clusters, in the order of the subscriptions and of ARM's pages: managedClusters.json.
  const listed = await Promise.all(
    subscriptions.map((subscriptionId) =>
      limit(async () => {
        try {
          return { subscriptionId, clusters: await deps.source.listClusters(subscriptionId) };
        } catch (error) {
          return { subscriptionId, error: failure(error, `listing managed clusters of subscription ${subscriptionId}`) };
        }
      }),
    ),
  );
  const bodies: Json[] = [];
  const clusters: Cluster[] = [];
  const subscriptionsByLocation = new Map<string, string[]>();
  const seenIds = new Set<string>();
  for (const entry of listed) {
    if ('error' in entry && entry.error !== undefined) {
      report.subscriptions.push({ subscriptionId: entry.subscriptionId, clusters: 0, ...entry.error });
      continue;
    }
    const items = entry.clusters ?? [];
    report.subscriptions.push({ subscriptionId: entry.subscriptionId, clusters: items.length, state: 'captured' });
    for (const item of items) {
      const id = typeof item.body['id'] === 'string' ? item.body['id'] : '';
      if (seenIds.has(resourceKey(id))) continue;
      seenIds.add(resourceKey(id));
      const { body, removed } = withoutSecrets(item.body);
      if (removed.length > 0) report.redacted.push({ clusterId: id, fields: removed });
      bodies.push(body);
      if (item.cluster === undefined) {
        report.unreadableClusters.push({ id, problem: item.problem ?? 'cannot be read' });
        continue;
      }
      clusters.push(item.cluster);
      const location = normalizeLocation(typeof item.body['location'] === 'string' ? item.body['location'] : item.cluster.location);
      subscriptionsByLocation.set(location, [...new Set([...(subscriptionsByLocation.get(location) ?? []), entry.subscriptionId])]);
    }
  }
  const captured = report.subscriptions.filter((entry) => entry.state === 'captured').map((entry) => entry.subscriptionId);
  await deps.writer.writeJson('managedClusters.json', { value: bodies });

  await Promise.all([
    captureVersions(deps, limit, subscriptionsByLocation, report),
    capturePolicyStates(deps, limit, captured, report).then((states) => capturePolicyDefinitions(deps, limit, states, captured, report)),
    captureLogs(deps, limit, clusters, options, report),
    captureKubernetes(deps, limit, clusters, report),
    captureDiagnosticSettings(deps, limit, clusters, report),
  ]);

  const failed =
    report.subscriptions.some((entry) => entry.state === 'failed') ||
    report.kubernetesVersions.some((entry) => entry.state === 'failed') ||
    report.policyStates.some((entry) => entry.state === 'failed') ||
    report.policyDefinitions?.state === 'failed' ||
    report.logs.some((entry) => entry.state !== 'complete') ||
    (report.diagnosticSettings ?? []).some((entry) => entry.state === 'failed');
  report.status = captured.length === 0 && subscriptions.length > 0 ? 'failed' : failed ? 'partial' : 'complete';
  await deps.writer.writeJson('capture-report.json', report);
  return report;
}

/** What the capture steps schedule their calls through. */
type Limit = <T>(work: () => Promise<T>) => Promise<T>;

/** `limit`, counting each call as it is queued and as it settles, for a progress line. */
function countingLimit(limit: ReturnType<typeof pLimit>, onProgress: CaptureDependencies['onProgress']): Limit {
  if (onProgress === undefined) return (work) => limit(work);
  let done = 0;
  let total = 0;
  return (work) => {
    total += 1;
    onProgress({ stage: 'capture calls', done, total });
    return limit(work).finally(() => {
      done += 1;
      onProgress({ stage: 'capture calls', done, total });
    });
  };
}

/** One body per location, asked through a subscription with clusters there (the next one if it fails). */
async function captureVersions(deps: CaptureDependencies, limit: Limit, subscriptionsByLocation: Map<string, string[]>, report: CaptureReport): Promise<void> {
  await Promise.all(
    [...subscriptionsByLocation].map(([location, subscriptionIds]) =>
      limit(async () => {
        let last: ReturnType<typeof failure> | undefined;
        for (const subscriptionId of subscriptionIds) {
          try {
            await deps.writer.writeJson(`kubernetesVersions/${segment(location)}.json`, await deps.source.kubernetesVersions(subscriptionId, location));
            report.kubernetesVersions.push({ location, state: 'captured' });
            return;
          } catch (error) {
            last = failure(error, `listing Kubernetes versions of location ${location}`);
          }
        }
        if (last !== undefined) report.kubernetesVersions.push({ location, ...last });
      }),
    ),
  );
  report.kubernetesVersions.sort((left, right) => left.location.localeCompare(right.location));
}

async function capturePolicyStates(deps: CaptureDependencies, limit: Limit, subscriptions: readonly string[], report: CaptureReport): Promise<Json[]> {
  const results = await Promise.all(
    subscriptions.map((subscriptionId) =>
      limit(async () => {
        try {
          const states = await deps.source.policyStates(subscriptionId);
          report.policyStates.push({ subscriptionId, states: states.length, state: 'captured' });
          return states;
        } catch (error) {
          report.policyStates.push({ subscriptionId, states: 0, ...failure(error, `querying policy states of subscription ${subscriptionId}`) });
          return undefined;
        }
      }),
    ),
  );
  // Optional in §2: written when at least one subscription answered.
  const states = results.flatMap((list) => list ?? []);
  if (results.some((list) => list !== undefined)) await deps.writer.writeJson('policyStates.json', { value: states });
  return states;
}

/**
 * `policyDefinitions.json`: the definitions and initiatives the non-compliant states name, as
 * bodies trimmed to what a sweep reads (`id`, `name`, `type`, `properties.displayName`), from one
 * Resource Graph query. Not written when no state names one or the source cannot look names up.
 */
async function capturePolicyDefinitions(
  deps: CaptureDependencies,
  limit: Limit,
  states: readonly Json[],
  subscriptions: readonly string[],
  report: CaptureReport,
): Promise<void> {
  const lookUp = deps.source.policyDefinitionNames?.bind(deps.source);
  const ids = [
    ...new Set(
      states
        .filter((state) => typeof state['complianceState'] === 'string' && state['complianceState'].toLowerCase() === 'noncompliant')
        .flatMap((state) => [state['policyDefinitionId'], state['policySetDefinitionId']])
        .filter((id): id is string => typeof id === 'string' && id !== '')
        .map((id) => id.toLowerCase()),
    ),
  ].sort();
  if (lookUp === undefined || ids.length === 0) return;
  try {
    const names = await limit(() => lookUp(ids, subscriptions));
    await deps.writer.writeJson('policyDefinitions.json', { value: names.map(policyDefinitionBody) });
    report.policyDefinitions = { definitions: names.length, state: 'captured' };
  } catch (error) {
    report.policyDefinitions = { definitions: 0, ...failure(error, 'looking up policy definition names in Azure Resource Graph') };
  }
}

function policyDefinitionBody(name: PolicyDefinitionName): Json {
  return {
    id: name.id,
    name: name.id.split('/').at(-1) ?? name.id,
    type: name.kind === 'initiative' ? 'Microsoft.Authorization/policySetDefinitions' : 'Microsoft.Authorization/policyDefinitions',
    properties: { displayName: name.displayName },
  };
}

async function captureLogs(
  deps: CaptureDependencies,
  limit: Limit,
  clusters: readonly Cluster[],
  options: CaptureOptions,
  report: CaptureReport,
): Promise<void> {
  const workspaces = new Map<string, string>();
  for (const id of [...options.configuredWorkspaces, ...clusters.flatMap((cluster) => cluster.logWorkspaceIds)]) {
    if (!workspaces.has(resourceKey(id))) workspaces.set(resourceKey(id), id);
  }
  if (workspaces.size === 0) return;
  await Promise.all(
    deps.detections.map(async (detection) => {
      const query = prepareDetectionQuery(detection, {
        lookbackMinutes: options.lookbackMinutes,
        threshold: options.thresholds[detection.id] ?? detection.threshold,
      });
      const bodies: Json[] = [];
      const failures: string[] = [];
      await Promise.all(
        [...workspaces.values()].map((workspace) =>
          limit(async () => {
            try {
              const body = await deps.source.queryLogs(workspace, query, options.lookbackMinutes);
              bodies.push(body);
              const partial = record(body['error']);
              report.logs.push({
                detectionId: detection.id,
                workspace,
                state: partial === undefined ? 'complete' : 'partial',
                ...(partial === undefined ? {} : { message: typeof partial['message'] === 'string' ? partial['message'] : 'partial result' }),
              });
            } catch (error) {
              const problem = failure(error, `query of workspace ${workspace}`);
              failures.push(problem.message);
              report.logs.push({ detectionId: detection.id, workspace, state: 'failed', message: problem.message });
            }
          }),
        ),
      );
      await deps.writer.writeJson(`logs/${segment(detection.id)}.json`, mergeLogBodies(bodies, failures));
    }),
  );
  report.logs.sort((left, right) => left.detectionId.localeCompare(right.detectionId) || left.workspace.localeCompare(right.workspace));
}

/**
 * Each cluster's diagnostic settings into one `diagnosticSettings.json`, keyed by cluster id (our
 * extension of §2). A cluster whose read failed is left out and named in the report: offline, its
 * settings are unknown, not empty.
 */
async function captureDiagnosticSettings(deps: CaptureDependencies, limit: Limit, clusters: readonly Cluster[], report: CaptureReport): Promise<void> {
  const read = deps.source.diagnosticSettings?.bind(deps.source);
  if (read === undefined) return;
  const entries: Array<{ clusterId: string } & Outcome> = [];
  const bodies = new Map<string, Json>();
  await Promise.all(
    clusters.map((cluster) =>
      limit(async () => {
        try {
          bodies.set(cluster.id, await read(cluster));
          entries.push({ clusterId: cluster.id, state: 'captured' });
        } catch (error) {
          entries.push({ clusterId: cluster.id, ...failure(error, `reading the diagnostic settings of cluster ${cluster.name}`) });
        }
      }),
    ),
  );
  entries.sort((left, right) => left.clusterId.localeCompare(right.clusterId));
  report.diagnosticSettings = entries;
  if (bodies.size > 0)
    await deps.writer.writeJson(
      'diagnosticSettings.json',
      Object.fromEntries(clusters.filter((cluster) => bodies.has(cluster.id)).map((cluster) => [cluster.id, bodies.get(cluster.id)])),
    );
}

/** Each cluster's objects through the in-cluster port; a cluster it cannot read is named, never fatal. */
async function captureKubernetes(deps: CaptureDependencies, limit: Limit, clusters: readonly Cluster[], report: CaptureReport): Promise<void> {
  const reader = deps.inCluster;
  await Promise.all(
    clusters.map((cluster) =>
      limit(async () => {
        if (reader === undefined) {
          report.kubernetes.push({ clusterId: cluster.id, state: 'notCaptured', reason: 'this build has no Kubernetes API reader' });
          return;
        }
        try {
          const read = await reader.read(cluster);
          if (read.state !== 'checked') {
            report.kubernetes.push({ clusterId: cluster.id, state: read.state, reason: read.reason });
            return;
          }
          const folder = `kubernetes/${segment(cluster.subscriptionId)}/${segment(cluster.resourceGroup)}/${segment(cluster.name)}`;
          const files: string[] = [];
          for (const resource of KUBERNETES_RESOURCES) {
            const list = read.lists[resource];
            if (list === undefined) continue;
            await deps.writer.writeJson(`${folder}/${resource}.json`, asKubectlList(list.body));
            files.push(`${resource}.json`);
          }
          report.kubernetes.push({ clusterId: cluster.id, state: 'checked', files, ...(read.unread === undefined ? {} : { unread: read.unread }) });
        } catch (error) {
          const problem = failure(error, `reading the Kubernetes objects of cluster ${cluster.name}`);
          report.kubernetes.push({ clusterId: cluster.id, state: problem.reason === 'authError' ? 'unauthorized' : 'unreachable', reason: problem.message });
        }
      }),
    ),
  );
  report.kubernetes.sort((left, right) => left.clusterId.localeCompare(right.clusterId));
}
