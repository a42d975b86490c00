/**
 * SDK models → domain types. Defensive on purpose: ARM returns `null` for unset fields and the
 * SDK passes them (and anything of an unexpected type) through, so each field is type-checked here
 * and the rules only ever see `boolean | undefined`, `string | undefined` and arrays.
 */
import type { KubernetesVersionListResult, MaintenanceWindow, ManagedCluster, ManagedClusterUpgradeProfile } from '@azure/arm-containerservice';

import { FleetGuardError } from '../errors.js';
import type { AgentPool, Cluster } from '../model/cluster.js';
import { normalizeLocation, parseResourceId } from '../model/cluster.js';
import type { KubernetesMinorVersion, KubernetesVersionCatalog, OfferedUpgrade } from '../model/kubernetesVersions.js';
import { minorOf } from '../model/kubernetesVersions.js';
import type { DateSpan, MaintenanceWindowSpec } from '../model/maintenanceWindow.js';

function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item.trim() !== '') : [];
}

function stringRecord(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(record(value))) {
    if (typeof entry === 'string') result[key] = entry;
  }
  return result;
}

function toAgentPool(value: unknown): AgentPool | undefined {
  const pool = record(value);
  const name = text(pool['name']);
  if (name === undefined) return undefined;
  const count = pool['count'];
  return {
    name,
    mode: text(pool['mode']),
    version: text(pool['currentOrchestratorVersion']) ?? text(pool['orchestratorVersion']),
    provisioningState: text(pool['provisioningState']),
    powerState: text(record(pool['powerState'])['code']),
    count: typeof count === 'number' ? count : undefined,
    nodeImageVersion: text(pool['nodeImageVersion']),
    type: text(pool['type']),
    availabilityZones: strings(pool['availabilityZones']),
    minCount: typeof pool['minCount'] === 'number' ? pool['minCount'] : undefined,
    enableAutoScaling: bool(pool['enableAutoScaling']),
  };
}

/**
 * Converts one cluster as the SDK returned it. Throws `badInput` when the cluster has no usable ARM
 * id, because nothing about it (subscription, fingerprint) can be trusted then.
 */
export function toCluster(sdk: ManagedCluster): Cluster {
  const raw = sdk as unknown as Record<string, unknown>;
  const id = text(raw['id']);
  const parsed = id === undefined ? undefined : parseResourceId(id);
  if (id === undefined || parsed?.subscriptionId === undefined || parsed.resourceGroup === undefined) {
    throw new FleetGuardError('badInput', `managed cluster ${JSON.stringify(raw['name'] ?? '?')} has no valid ARM id (field: id)`);
  }
  const aad = record(raw['aadProfile']);
  const apiServer = record(raw['apiServerAccessProfile']);
  const network = record(raw['networkProfile']);
  const security = record(raw['securityProfile']);
  const defender = record(security['defender']);
  const autoUpgrade = record(raw['autoUpgradeProfile']);
  const addons: Cluster['addons'] = {};
  const workspaceIds: string[] = [];
  for (const [name, profile] of Object.entries(record(raw['addonProfiles']))) {
    const addon = record(profile);
    addons[name.toLowerCase()] = { enabled: bool(addon['enabled']), config: stringRecord(addon['config']) };
    if (name.toLowerCase() === 'omsagent' && addon['enabled'] === true) {
      const workspace = Object.entries(stringRecord(addon['config'])).find(([key]) => key.toLowerCase() === 'loganalyticsworkspaceresourceid')?.[1];
      if (workspace !== undefined && workspace.trim() !== '') workspaceIds.push(workspace.trim());
    }
  }
  const defenderWorkspace = text(defender['logAnalyticsWorkspaceResourceId']);
  if (defenderWorkspace !== undefined && bool(record(defender['securityMonitoring'])['enabled']) === true) workspaceIds.push(defenderWorkspace);
  return {
    id,
    name: text(raw['name']) ?? parsed.name ?? id,
    subscriptionId: parsed.subscriptionId,
    resourceGroup: parsed.resourceGroup,
    location: normalizeLocation(text(raw['location']) ?? ''),
    tags: stringRecord(raw['tags']),
    provisioningState: text(raw['provisioningState']),
    powerState: text(record(raw['powerState'])['code']),
    kubernetesVersion: text(raw['currentKubernetesVersion']) ?? text(raw['kubernetesVersion']),
    agentPools: (Array.isArray(raw['agentPoolProfiles']) ? raw['agentPoolProfiles'] : [])
      .map(toAgentPool)
      .filter((pool): pool is AgentPool => pool !== undefined),
    enableRbac: bool(raw['enableRbac']),
    aadManaged: bool(aad['managed']),
    aadAzureRbac: bool(aad['enableAzureRbac']),
    disableLocalAccounts: bool(raw['disableLocalAccounts']),
    privateCluster: bool(apiServer['enablePrivateCluster']),
    authorizedIpRanges: strings(apiServer['authorizedIPRanges']),
    runCommandDisabled: bool(apiServer['disableRunCommand']),
    networkPolicy: text(network['networkPolicy']),
    workloadIdentity: bool(record(security['workloadIdentity'])['enabled']),
    oidcIssuer: bool(record(raw['oidcIssuerProfile'])['enabled']),
    addons,
    defenderMonitoring: bool(record(defender['securityMonitoring'])['enabled']),
    defenderWorkspaceId: defenderWorkspace,
    logWorkspaceIds: [...new Map(workspaceIds.map((workspace) => [workspace.toLowerCase(), workspace])).values()],
    upgradeChannel: text(autoUpgrade['upgradeChannel']),
    nodeOsUpgradeChannel: text(autoUpgrade['nodeOSUpgradeChannel']),
    supportPlan: text(raw['supportPlan']),
    skuTier: text(record(raw['sku'])['tier']),
    identityType: text(record(raw['identity'])['type']),
    servicePrincipalClientId: text(record(raw['servicePrincipalProfile'])['clientId']),
  };
}

/** Converts the versions list of one location; entries without a parsable minor are skipped. */
export function toVersionCatalog(location: string, sdk: KubernetesVersionListResult): KubernetesVersionCatalog {
  const minors: KubernetesMinorVersion[] = [];
  // `record`: a raw body that is null or not an object lists nothing.
  const values = record(sdk)['values'];
  for (const entry of Array.isArray(values) ? (values as unknown[]) : []) {
    const item = record(entry);
    const minor = minorOf(text(item['version']));
    if (minor === undefined) continue;
    const patches: Record<string, string[]> = {};
    for (const [patch, upgrades] of Object.entries(record(item['patchVersions']))) {
      patches[patch] = strings(record(upgrades)['upgrades']);
    }
    minors.push({
      minor,
      isPreview: item['isPreview'] === true,
      isDefault: item['isDefault'] === true,
      // As listed; a minor without capabilities counts as KubernetesOfficial (`offersPlan`).
      supportPlans: strings(record(item['capabilities'])['supportPlan']),
      patches,
    });
  }
  return { location: normalizeLocation(location), minors };
}

/** The control plane's upgrades from a cluster's upgrade profile, with their preview flags. */
export function toControlPlaneUpgrades(sdk: ManagedClusterUpgradeProfile): OfferedUpgrade[] {
  const upgrades = record(record(sdk)['controlPlaneProfile'])['upgrades'];
  return (Array.isArray(upgrades) ? (upgrades as unknown[]) : []).flatMap((entry) => {
    const version = text(record(entry)['kubernetesVersion']);
    return version === undefined ? [] : [{ version, isPreview: record(entry)['isPreview'] === true }];
  });
}

/** A date as `YYYY-MM-DD`: the SDK deserialises `date` fields to a Date at midnight UTC; a raw body keeps the string. */
function isoDate(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString().slice(0, 10);
  return typeof value === 'string' && value !== '' ? value.slice(0, 10) : undefined;
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * The `maintenanceWindow` of a maintenance configuration → the planner's window, blackouts
 * (`notAllowedDates`) included. Never throws: a field of the wrong type is passed on empty (`NaN`,
 * `''`), and `nextMaintenanceWindow` reports the window unsupported, naming the field, so the
 * rollout records the reason for that cluster instead of retrying a read that cannot improve.
 */
export function toMaintenanceWindowSpec(sdk: MaintenanceWindow): MaintenanceWindowSpec {
  const window = record(sdk);
  const schedule = record(window['schedule']);
  const daily = record(schedule['daily']);
  const weekly = record(schedule['weekly']);
  const absoluteMonthly = record(schedule['absoluteMonthly']);
  const relativeMonthly = record(schedule['relativeMonthly']);
  const durationHours = finiteNumber(window['durationHours']) ?? Number.NaN;
  const startTime = text(window['startTime']) ?? '';
  const spec: MaintenanceWindowSpec = { schedule: {}, durationHours, startTime };
  if (isObject(schedule['daily'])) spec.schedule.daily = { intervalDays: finiteNumber(daily['intervalDays']) ?? 1 };
  if (isObject(schedule['weekly']))
    spec.schedule.weekly = { intervalWeeks: finiteNumber(weekly['intervalWeeks']) ?? 1, dayOfWeek: text(weekly['dayOfWeek']) ?? '' };
  if (isObject(schedule['absoluteMonthly']))
    spec.schedule.absoluteMonthly = {
      intervalMonths: finiteNumber(absoluteMonthly['intervalMonths']) ?? 1,
      dayOfMonth: finiteNumber(absoluteMonthly['dayOfMonth']) ?? 0,
    };
  if (isObject(schedule['relativeMonthly'])) {
    spec.schedule.relativeMonthly = {
      intervalMonths: finiteNumber(relativeMonthly['intervalMonths']) ?? 1,
      weekIndex: text(relativeMonthly['weekIndex']) ?? '',
      dayOfWeek: text(relativeMonthly['dayOfWeek']) ?? '',
    };
  }
  const utcOffset = text(window['utcOffset']);
  if (utcOffset !== undefined) spec.utcOffset = utcOffset;
  const startDate = isoDate(window['startDate']);
  if (startDate !== undefined) spec.startDate = startDate;
  const notAllowed = window['notAllowedDates'];
  if (Array.isArray(notAllowed)) {
    spec.notAllowedDates = (notAllowed as unknown[]).map((entry): DateSpan => ({
      start: isoDate(record(entry)['start']) ?? '',
      end: isoDate(record(entry)['end']) ?? '',
    }));
  }
  return spec;
}
