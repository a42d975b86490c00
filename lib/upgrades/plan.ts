/**
 * Rollout planning, pure: which clusters go in which wave, through which versions, and why the
 * others are skipped or excluded. AKS upgrades one minor at a time, so a target two minors away
 * needs consecutive hops, which only `allowMultiMinorHops` permits.
 */
import semver from 'semver';

import { FleetGuardError } from '../errors.js';
import { type Cluster, resourceKey } from '../model/cluster.js';
import { compareMinors, type KubernetesVersionCatalog, minorOf, type OfferedUpgrade } from '../model/kubernetesVersions.js';
import { shellWord } from '../shellWord.js';

export type UpgradeType = 'Full' | 'ControlPlaneOnly' | 'NodeImageOnly';

export interface WaveSettings {
  maxParallel: number;
  soakMinutes: number;
  requireApproval: boolean;
}

export interface RolloutRequest {
  /** Exact patch (`1.32.4`) or minor (`1.32`: the newest non-preview patch in each cluster's location). */
  target: string;
  scope: { subscriptions?: string[]; tags?: Record<string, string>; clusterIds?: string[] };
  /** Waves by the values of a tag (ascending), or explicit lists of cluster ids/names. */
  waves: { byTag: string } | { explicit: string[][] };
  waveSettings: WaveSettings;
  /** Per-wave overrides by wave name. */
  waveOverrides?: Record<string, Partial<WaveSettings>>;
  upgradeType: UpgradeType;
  maxFailedClusters: number;
  respectMaintenanceWindows: boolean;
  allowMultiMinorHops: boolean;
  dryRun: boolean;
}

export interface PlannedCluster {
  resourceId: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  fromVersion: string;
  toVersion: string;
  /** Versions to pass through in order, the target last. Empty for a node-image upgrade. */
  hops: string[];
  /** Set when the cluster is already at the target: listed, not upgraded. */
  skipReason: string | undefined;
}

export interface PlannedWave extends WaveSettings {
  name: string;
  clusters: PlannedCluster[];
  /** Clusters of this wave that cannot be upgraded, with the reason (also in the plan's `excluded`). */
  excluded: Array<{ resourceId: string; fromVersion: string; reason: string }>;
  /** Set when a cluster of the wave (planned or excluded) is production-tagged ({@link isProductionTagged}). */
  production?: true;
}

/**
 * A production cluster is one tagged `env` or `environment` (any case) with the value `prod` or
 * `production` (any case): the usual Azure tagging convention. Its wave's approval needs someone
 * other than the requester unless the request sets `requireDistinctApprover` itself.
 */
export function isProductionTagged(tags: Readonly<Record<string, string>>): boolean {
  return Object.entries(tags).some(([key, value]) => /^(env|environment)$/i.test(key.trim()) && /^(prod|production)$/i.test(value.trim()));
}

export interface RolloutPlan {
  target: string;
  upgradeType: UpgradeType;
  maxFailedClusters: number;
  respectMaintenanceWindows: boolean;
  waves: PlannedWave[];
  excluded: Array<{ resourceId: string; reason: string }>;
}

function newestPatch(catalog: KubernetesVersionCatalog, minor: string): string | undefined {
  const entry = catalog.minors.find((candidate) => candidate.minor === minor);
  const patches = Object.keys(entry?.patches ?? {}).filter((patch) => semver.valid(semver.coerce(patch)) !== null);
  return patches.sort((left, right) => semver.compare(semver.coerce(left) ?? '0.0.0', semver.coerce(right) ?? '0.0.0')).at(-1);
}

/**
 * The request's scope as sets of lower-cased keys, built once: planning looks each cluster up in
 * O(1) instead of scanning every id for every cluster (2,000 clusters × 10,000 ids blocked the event
 * loop 19 s when each cluster scanned the list).
 */
interface ScopeIndex {
  subscriptions: ReadonlySet<string> | undefined;
  clusters: ClusterIdIndex<true> | undefined;
  tags: ReadonlyArray<[string, string]> | undefined;
}

/**
 * Cluster ids or names to a value (the first one listed wins): an entry matches a cluster by its
 * resource id ({@link resourceKey}) or, lower-cased, by its name, as a request may name either.
 */
interface ClusterIdIndex<T> {
  byKey: ReadonlyMap<string, T>;
  byName: ReadonlyMap<string, T>;
}

function indexClusterIds<T>(entries: Iterable<readonly [string, T]>): ClusterIdIndex<T> {
  const byKey = new Map<string, T>();
  const byName = new Map<string, T>();
  for (const [id, value] of entries) {
    const key = resourceKey(id);
    const name = id.toLowerCase();
    if (!byKey.has(key)) byKey.set(key, value);
    if (!byName.has(name)) byName.set(name, value);
  }
  return { byKey, byName };
}

/** The values an index holds for a cluster: by its resource id, then by its name. */
function lookUp<T>(index: ClusterIdIndex<T>, cluster: Pick<Cluster, 'id' | 'name'>): T[] {
  const found: T[] = [];
  const byKey = index.byKey.get(resourceKey(cluster.id));
  if (byKey !== undefined) found.push(byKey);
  const byName = index.byName.get(cluster.name.toLowerCase());
  if (byName !== undefined) found.push(byName);
  return found;
}

function indexScope(scope: RolloutRequest['scope']): ScopeIndex {
  return {
    subscriptions: scope.subscriptions === undefined ? undefined : new Set(scope.subscriptions.map((id) => id.toLowerCase())),
    clusters: scope.clusterIds === undefined ? undefined : indexClusterIds(scope.clusterIds.map((id) => [id, true] as const)),
    tags: scope.tags === undefined ? undefined : Object.entries(scope.tags),
  };
}

function inScope(cluster: Cluster, scope: ScopeIndex): boolean {
  if (scope.subscriptions !== undefined && !scope.subscriptions.has(cluster.subscriptionId.toLowerCase())) return false;
  if (scope.clusters !== undefined && lookUp(scope.clusters, cluster).length === 0) return false;
  if (scope.tags !== undefined && !scope.tags.every(([key, value]) => cluster.tags[key] === value)) return false;
  return true;
}

/** Resolves the target for one location; undefined with a reason when it cannot be offered there. */
function resolveTarget(target: string, catalog: KubernetesVersionCatalog): { version: string } | { reason: string } {
  if (/^\d+\.\d+$/.test(target)) {
    const entry = catalog.minors.find((candidate) => candidate.minor === minorOf(target));
    if (entry === undefined) return { reason: `Kubernetes ${target} is not offered in ${catalog.location}` };
    if (entry.isPreview) return { reason: `Kubernetes ${target} is preview-only in ${catalog.location}` };
    const patch = newestPatch(catalog, entry.minor);
    return patch === undefined ? { reason: `no patch of ${target} is offered in ${catalog.location}` } : { version: patch };
  }
  const offered = catalog.minors.some((entry) => Object.keys(entry.patches).includes(target));
  return offered ? { version: target } : { reason: `Kubernetes ${target} is not offered in ${catalog.location}` };
}

/** Checks that the target is a version at all; throws `badInput` for an unusable one. */
export function validateTarget(target: string, catalogs: readonly KubernetesVersionCatalog[]): void {
  if (!/^\d+\.\d+(\.\d+)?$/.test(target)) throw new FleetGuardError('badInput', `target: '${target}' is not a Kubernetes version such as 1.32 or 1.32.4`);
  const known = catalogs.some((catalog) => 'version' in resolveTarget(target, catalog));
  if (!known)
    throw new FleetGuardError(
      'badInput',
      `target: Kubernetes ${target} is not offered in any location of the fleet (${catalogs.map((catalog) => catalog.location).join(', ')})`,
    );
}

/**
 * The first hop as the upgrade profile allows it. A version the profile flags `isPreview` is taken
 * only when the request names that exact version; otherwise the newest non-preview patch of the same
 * minor that the profile offers replaces it, if there is one.
 */
function profileHop(first: string, offered: readonly OfferedUpgrade[], exactTarget: string | undefined): { version: string } | { reason: string } {
  const entry = offered.find((upgrade) => upgrade.version === first);
  if (entry === undefined)
    return { reason: `its upgrade profile does not offer ${first} (offers ${offered.map((upgrade) => upgrade.version).join(', ') || 'nothing'})` };
  if (!entry.isPreview || first === exactTarget) return { version: first };
  const alternative = offered
    .filter((upgrade) => !upgrade.isPreview && minorOf(upgrade.version) === minorOf(first))
    .map((upgrade) => upgrade.version)
    .sort((left, right) => semver.compare(semver.coerce(left) ?? '0.0.0', semver.coerce(right) ?? '0.0.0'))
    .at(-1);
  return alternative === undefined
    ? { reason: `its upgrade profile offers ${first} only as a preview version (name ${first} as the target to take it)` }
    : { version: alternative };
}

function planCluster(
  cluster: Cluster,
  catalog: KubernetesVersionCatalog | undefined,
  request: RolloutRequest,
  offered: readonly OfferedUpgrade[] | undefined,
): PlannedCluster | { reason: string } {
  if ((cluster.powerState ?? 'Running').toLowerCase() === 'stopped') return { reason: 'the cluster is stopped' };
  if ((cluster.provisioningState ?? '').toLowerCase() !== 'succeeded')
    return { reason: `provisioningState is ${cluster.provisioningState ?? 'unknown'}, not Succeeded` };
  const current = cluster.kubernetesVersion;
  if (current === undefined || minorOf(current) === undefined) return { reason: 'the current Kubernetes version is unknown' };
  if (catalog === undefined) return { reason: `no version list for location ${cluster.location}` };
  const base = {
    resourceId: cluster.id,
    name: cluster.name,
    subscriptionId: cluster.subscriptionId,
    resourceGroup: cluster.resourceGroup,
    location: cluster.location,
    fromVersion: current,
  };
  if (request.upgradeType === 'NodeImageOnly') return { ...base, toVersion: current, hops: [], skipReason: undefined };
  const resolved = resolveTarget(request.target, catalog);
  if ('reason' in resolved) return resolved;
  const target = resolved.version;
  const order = semver.compare(semver.coerce(current) ?? '0.0.0', semver.coerce(target) ?? '0.0.0');
  if (order === 0) return { ...base, toVersion: target, hops: [], skipReason: `already at ${target}` };
  if (order > 0) return { reason: `${current} is newer than the target ${target}: downgrades are refused` };
  const fromMinor = minorOf(current) ?? '';
  const toMinor = minorOf(target) ?? '';
  const minorsBetween = catalog.minors
    .map((entry) => entry.minor)
    .filter((minor) => compareMinors(minor, fromMinor) > 0 && compareMinors(minor, toMinor) < 0)
    .sort(compareMinors);
  const distance = Number(toMinor.split('.')[1]) - Number(fromMinor.split('.')[1]);
  if (distance > 1 && !request.allowMultiMinorHops) {
    return { reason: `${current} → ${target} crosses ${distance} minors; AKS upgrades one minor at a time (set allowMultiMinorHops to plan consecutive hops)` };
  }
  if (minorsBetween.length !== Math.max(0, distance - 1))
    return { reason: `a minor between ${fromMinor} and ${toMinor} is not offered in ${cluster.location}` };
  // A hop on the way is never a preview release: only the target itself may be one, when named exactly.
  const previewBetween = minorsBetween.find((minor) => catalog.minors.find((entry) => entry.minor === minor)?.isPreview === true);
  if (previewBetween !== undefined) return { reason: `the way to ${target} passes ${previewBetween}, which is preview-only in ${cluster.location}` };
  const hops = [...minorsBetween.map((minor) => newestPatch(catalog, minor) ?? `${minor}.0`), target];
  // The cluster's own upgrade profile has the last word on where it can go next.
  const first = hops[0];
  if (offered !== undefined && first !== undefined) {
    const hop = profileHop(first, offered, /^\d+\.\d+$/.test(request.target) ? undefined : request.target);
    if ('reason' in hop) return hop;
    hops[0] = hop.version;
  }
  return { ...base, toVersion: hops.at(-1) ?? target, hops, skipReason: undefined };
}

/**
 * `upgradeProfiles`: per cluster key, the versions its upgrade profile offers now (preview ones
 * flagged); a cluster whose first hop is not offered, or offered only as a preview the request did
 * not name exactly, is excluded. Clusters missing from the map are checked against the version list only.
 */
export function planRollout(
  clusters: readonly Cluster[],
  catalogs: ReadonlyMap<string, KubernetesVersionCatalog>,
  request: RolloutRequest,
  upgradeProfiles: ReadonlyMap<string, readonly OfferedUpgrade[]> = new Map(),
): RolloutPlan {
  if (request.upgradeType !== 'NodeImageOnly') validateTarget(request.target, [...catalogs.values()]);
  const excluded: RolloutPlan['excluded'] = [];
  const byWave = new Map<string, PlannedCluster[]>();
  const excludedByWave = new Map<string, PlannedWave['excluded']>();
  const productionWaves = new Set<string>();
  const scope = indexScope(request.scope);
  // Explicit waves: each id or name to the first wave that lists it, so a cluster in two waves goes in the first.
  const explicitWaves =
    'explicit' in request.waves ? indexClusterIds(request.waves.explicit.flatMap((members, index) => members.map((id) => [id, index] as const))) : undefined;
  const waveOf = (cluster: Cluster): string | undefined => {
    if ('byTag' in request.waves) return cluster.tags[request.waves.byTag];
    const indexes = explicitWaves === undefined ? [] : lookUp(explicitWaves, cluster);
    return indexes.length === 0 ? undefined : String(Math.min(...indexes));
  };
  for (const cluster of [...clusters].sort((left, right) => left.name.localeCompare(right.name))) {
    if (!inScope(cluster, scope)) continue;
    const wave = waveOf(cluster);
    if (wave === undefined) {
      excluded.push({ resourceId: cluster.id, reason: 'byTag' in request.waves ? `no ${request.waves.byTag} tag` : 'not in any wave' });
      continue;
    }
    if (isProductionTagged(cluster.tags)) productionWaves.add(wave);
    const planned = planCluster(cluster, catalogs.get(cluster.location), request, upgradeProfiles.get(resourceKey(cluster.id)));
    if ('reason' in planned) {
      excluded.push({ resourceId: cluster.id, reason: planned.reason });
      appendTo(excludedByWave, wave, { resourceId: cluster.id, fromVersion: cluster.kubernetesVersion ?? '', reason: planned.reason });
      continue;
    }
    // Appended in place: copying the wave's list for each cluster made a 2,000-cluster wave quadratic.
    appendTo(byWave, wave, planned);
  }
  const names = [...new Set([...byWave.keys(), ...excludedByWave.keys()])].sort((left, right) => {
    const numeric = Number(left) - Number(right);
    return Number.isNaN(numeric) ? left.localeCompare(right) : numeric;
  });
  return {
    target: request.target,
    upgradeType: request.upgradeType,
    maxFailedClusters: request.maxFailedClusters,
    respectMaintenanceWindows: request.respectMaintenanceWindows,
    waves: names.map((name) => ({
      name,
      ...request.waveSettings,
      ...request.waveOverrides?.[name],
      clusters: byWave.get(name) ?? [],
      excluded: excludedByWave.get(name) ?? [],
      ...(productionWaves.has(name) ? { production: true as const } : {}),
    })),
    excluded,
  };
}

function appendTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/**
 * Why a cluster is excluded after AKS refused its minor upgrade with
 * `UpgradeBlockedOnDeprecatedAPIUsage` (deprecated Kubernetes APIs used in the last 12 hours), and
 * the two ways on: migrate, or bypass with `upgradeSettings.overrideSettings` (`forceUpgrade` with
 * an `until`), as Learn describes (https://learn.microsoft.com/azure/aks/stop-cluster-upgrade-api-breaking-changes).
 * `serviceMessage` is AKS's message; its usage details (which API, last seen) are kept.
 */
export function deprecatedApiExclusion(
  cluster: { name: string; resourceGroup: string; subscriptionId: string },
  version: string,
  serviceMessage: string,
): string {
  const details = /Usage details:([\s\S]*)$/
    .exec(serviceMessage)?.[1]
    ?.replace(/\s+/g, ' ')
    .replace(/^ ?1 error occurred: ?\* ?/, '')
    .trim();
  const target = `--subscription ${shellWord(cluster.subscriptionId)} --resource-group ${shellWord(cluster.resourceGroup)} --name ${shellWord(cluster.name)}`;
  return (
    `AKS refused the minor upgrade to ${version} (UpgradeBlockedOnDeprecatedAPIUsage): deprecated Kubernetes APIs were used in the last 12 hours` +
    `${details ? ` (${details})` : ''}. Migrate them (https://kubernetes.io/docs/reference/using-api/deprecation-guide) and retry once 12 hours pass without use, ` +
    `or bypass the check: az aks update ${target} --enable-force-upgrade --upgrade-override-until <UTC time, e.g. 2030-01-01T00:00:00Z> ` +
    '(sets upgradeSettings.overrideSettings.forceUpgrade and until; https://learn.microsoft.com/azure/aks/stop-cluster-upgrade-api-breaking-changes).'
  );
}

/** Clusters the plan would upgrade: in a wave and not already at the target. */
export function clustersToUpgrade(plan: Pick<RolloutPlan, 'waves'>): PlannedCluster[] {
  return plan.waves.flatMap((wave) => wave.clusters.filter((cluster) => cluster.skipReason === undefined));
}

/** The last segment of an ARM id: the cluster's name. */
function nameOf(resourceId: string): string {
  return resourceId.split('/').at(-1) ?? resourceId;
}

/** Reasons listed in full before the rest are counted: a 1,000-cluster fleet still answers in one line. */
const REASONS_SHOWN = 10;

/**
 * Why a plan (or a rehearsal's outcome) upgrades nothing, as one line: each cluster that was
 * excluded or skipped with its reason, identical reasons grouped. `entries` are the excluded and
 * skipped clusters by resource id.
 */
export function nothingToUpgradeLine(target: string, entries: ReadonlyArray<{ resourceId: string; reason: string; kind: 'excluded' | 'skipped' }>): string {
  if (entries.length === 0) return `nothing to upgrade to ${target}: the plan holds no cluster`;
  const groups = new Map<string, string[]>();
  for (const entry of entries) {
    const key = `${entry.kind}: ${entry.reason}`;
    groups.set(key, [...(groups.get(key) ?? []), nameOf(entry.resourceId)]);
  }
  const parts = [...groups].map(
    ([reason, names]) => `${names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ')} ${reason}`,
  );
  const shown = parts.slice(0, REASONS_SHOWN).join('; ');
  const rest = parts.length > REASONS_SHOWN ? `; and ${parts.length - REASONS_SHOWN} more reasons` : '';
  const excluded = entries.filter((entry) => entry.kind === 'excluded').length;
  return `nothing to upgrade to ${target}: ${excluded} cluster${excluded === 1 ? '' : 's'} excluded, ${entries.length - excluded} skipped (${shown}${rest})`;
}

/** The plan's excluded and skipped clusters, for {@link nothingToUpgradeLine}. */
export function planNotUpgrading(plan: Pick<RolloutPlan, 'waves' | 'excluded'>): Array<{ resourceId: string; reason: string; kind: 'excluded' | 'skipped' }> {
  const skipped = plan.waves.flatMap((wave) =>
    wave.clusters.flatMap((cluster) =>
      cluster.skipReason === undefined ? [] : [{ resourceId: cluster.resourceId, reason: cluster.skipReason, kind: 'skipped' as const }],
    ),
  );
  return [...plan.excluded.map((entry) => ({ ...entry, kind: 'excluded' as const })), ...skipped];
}

/**
 * Throws `badInput` when waves are by a tag that no cluster in scope carries: every cluster would be
 * excluded for the missing tag, which is a typo far more often than a plan.
 */
export function requireWaveTag(plan: Pick<RolloutPlan, 'waves' | 'excluded'>, request: Pick<RolloutRequest, 'waves'>, input = 'waves.byTag'): void {
  if (!('byTag' in request.waves) || plan.waves.length > 0) return;
  throw new FleetGuardError(
    'badInput',
    `${input}: no cluster carries the tag '${request.waves.byTag}'${plan.excluded.length === 0 ? ' (the fleet has no cluster in scope)' : ''}`,
  );
}
