/**
 * Every setting the app reads, validated once. This module is the only reader of `process.env`
 * (with lib/timerSchedules.ts, the dependency-free slice the Functions entry reads at registration):
 * everything else receives a typed `FleetGuardConfig`.
 */
import { readFileSync } from 'node:fs';

import { z } from 'zod';

import { type AlertingConfig, parseAlertingDocument, parseDuration } from './alerts/alertingConfig.js';
import { DETECTION_IDS } from './detections/catalog.js';
import { describeZodIssues, FleetGuardError } from './errors.js';
import { DEFAULT_POSTURE_SETTINGS, type PostureSettings } from './posture/rule.js';
import { isNcrontab, NCRONTAB_MESSAGE, SCHEDULE_SETTINGS } from './timerSchedules.js';

/** Where the Azure SDK clients point: real Azure, or the local simulator (HTTPS with its own CA). */
export type AzureTarget =
  { kind: 'azure'; armEndpoint: string; managedIdentityClientId: string | undefined } | { kind: 'simulator'; armEndpoint: string; caPem: string };

/** How to reach Azure Tables: a connection string (Azurite, keys) or an identity-based account URL. */
export type StorageTarget = { kind: 'connectionString'; connectionString: string; setting: string } | { kind: 'tableServiceUrl'; url: string; setting: string };

export interface FleetGuardConfig {
  azure: AzureTarget;
  /** Subscriptions to sweep; empty means every subscription the identity can see. */
  subscriptions: string[];
  sweep: {
    /** NCRONTAB (six fields, seconds first) for the `fleetSweep` timer. */
    schedule: string;
    /** Concurrent ARM calls per sweep stage. */
    concurrency: number;
    /**
     * Where clusters and policy states come from: Resource Graph queries across subscriptions, or
     * per-subscription ARM calls; `auto` takes Resource Graph when there are more subscriptions than
     * concurrent calls (where it wins, see BENCHMARKS.md).
     */
    inventorySource: 'auto' | 'resourceGraph' | 'arm';
    /** The Durable fan-out of the sweep (lib/sweep/fleetSweepOrchestrator.ts), for fleets larger than one invocation should carry. */
    fanOut: {
      /** The timer fans out when the fleet has at least this many subscriptions; 0 = never (always one invocation). */
      fromSubscriptions: number;
      /** Subscriptions per shard activity. */
      shardSubscriptions: number;
      /** Shard activities in flight at once across the app. */
      maxShardsInFlight: number;
    };
    /** The timer's streaming sweep holds at most this many clusters at once (one shard; lib/sweep/streamingSweep.ts). */
    shardClusters: number;
  };
  /** In-cluster reads through each cluster's Kubernetes API (CONTRACTS.md §5, lib/azure/kubernetes.ts). */
  inCluster: {
    /** Whether sweeps read the clusters' Kubernetes objects (K8S-* rules); off by default until the least access is granted. */
    enabled: boolean;
    /** The whole read of one cluster (credential, token, every list page): past it the cluster is unreachable (timeout). */
    clusterTimeoutSeconds: number;
    /** `limit` of each list call (kubectl's chunk size is 500). */
    pageSize: number;
    /** NCRONTAB of the `inClusterSweep` timer, which starts the fan-out orchestration (lib/sweep/inClusterOrchestrator.ts). */
    schedule: string;
    /** Clusters per batch activity of the fan-out. */
    batchSize: number;
    /** Batch activities the orchestration keeps in flight at once (spread over the app's instances). */
    maxBatchesInFlight: number;
    /** Clusters one batch activity reads at once. */
    clusterConcurrency: number;
    /** When the AKS runCommand fallback reads a cluster (lib/azure/runCommand.ts): never, private clusters, or any unreachable one. */
    runCommand: 'off' | 'private-only' | 'unreachable';
  };
  http: { maxRetries: number };
  /** What the posture rules read besides the clusters (FLEETGUARD_PRODUCTION_TAG). */
  posture: PostureSettings;
  logs: {
    /** Log Analytics query endpoint, including the API version path (`/v1`). */
    endpoint: string;
    /** Workspaces (ARM ids) queried besides those the clusters reference. */
    workspaces: string[];
    lookbackMinutes: number;
    /** How long one query may take before it counts as failed (the server is told the same). */
    queryTimeoutSeconds: number;
    /** Threshold overrides by detection id. */
    thresholds: Record<string, number>;
  };
  storage: StorageTarget | undefined;
  tables: { findings: string; sweeps: string; events: string; alerts: string; rollouts: string };
  events: {
    /**
     * New processed-event rows one Event Grid topic may add per hour; past it, events are still
     * handled (every reaction is idempotent) but not recorded, so a flood cannot grow the table.
     */
    processedRowsPerTopicHour: number;
  };
  durableTaskHubName: string;
  /** Alert routing and receivers; undefined when no routing is configured (alerts off). */
  alerts: AlertingConfig | undefined;
  /** Silences (lib/alerts/silencesApi.ts): how many may be active at once; creating one more is refused. */
  silences: {
    maxActive: number;
    /** FLEETGUARD_MAX_SILENCE_DURATION: the longest silence the CLI and the HTTP API create, in milliseconds. */
    maxDurationMs: number;
  };
  alertDelivery: {
    /** NCRONTAB of the outbox drain timer. */
    drainSchedule: string;
    /** Simulator only: every notification goes to this local sink instead of the vendor. */
    endpointOverride: string | undefined;
  };
  /** Who may reach the HTTP API (lib/app/httpApiGuard.ts). */
  httpAuth: {
    /**
     * App Service Authentication is on: the platform sets `WEBSITE_AUTH_ENABLED=True` (read-only;
     * https://learn.microsoft.com/azure/app-service/reference-app-settings, "Authentication &
     * authorization"), and only then is `x-ms-client-principal` stripped from incoming requests.
     */
    appServiceAuthentication: boolean;
    /** `FLEETGUARD_LOCAL_DEVELOPMENT_AUTH`: serve the HTTP API without it, trusting the header (local runs only). */
    localDevelopment: 'allow-unauthenticated-header' | undefined;
  };
}

/**
 * Default of FLEETGUARD_EVENT_ROWS_PER_TOPIC_HOUR. An AKS system topic is one cluster: upgrading a
 * cluster with the most node pools AKS allows (100, Learn "Quotas, virtual machine size
 * restrictions, and region availability in AKS") sends about four events per pool (started,
 * progress, succeeded or failed), so 500 an hour leaves every real event deduplicated.
 */
export const DEFAULT_PROCESSED_ROWS_PER_TOPIC_HOUR = 500;

/** One documented setting: the single list that README, local.settings.example.json and Bicep follow. */
export interface SettingDescription {
  name: string;
  description: string;
  defaultValue?: string;
  requiredInAzure: boolean;
}

export const SETTINGS: readonly SettingDescription[] = [
  { name: 'FLEETGUARD_SUBSCRIPTIONS', description: 'Comma-separated subscription ids to sweep; empty = all the identity can read', requiredInAzure: false },
  {
    name: 'FLEETGUARD_SWEEP_SCHEDULE',
    description: 'NCRONTAB schedule of the fleetSweep timer (six fields)',
    defaultValue: SCHEDULE_SETTINGS.sweep.defaultValue,
    requiredInAzure: false,
  },
  { name: 'FLEETGUARD_SWEEP_CONCURRENCY', description: 'Concurrent ARM calls per sweep stage (1-64)', defaultValue: '8', requiredInAzure: false },
  {
    name: 'FLEETGUARD_SWEEP_SHARD_CLUSTERS',
    description:
      'Clusters per shard of the timer sweep (1-100000): the sweep runs shard by shard so memory is bounded by a shard, not the fleet; a subscription is never split',
    defaultValue: '2000',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_INVENTORY_SOURCE',
    description:
      '`auto` (default: Azure Resource Graph when there are more subscriptions than FLEETGUARD_SWEEP_CONCURRENCY, else ARM), `resourceGraph` (paged Resource Graph queries across subscriptions for clusters and policy states, falling back per subscription when they fail) or `arm` (one list call per subscription)',
    defaultValue: 'auto',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_SWEEP_FANOUT_FROM_SUBSCRIPTIONS',
    description:
      'The fleetSweep timer fans the sweep out over Durable activities (shards of subscriptions) when the fleet has at least this many subscriptions (0-100000; 0 = never: one invocation sweeps the whole fleet)',
    defaultValue: '200',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_SWEEP_SHARD_SUBSCRIPTIONS',
    description: 'Subscriptions per shard activity of the sweep fan-out (1-1000)',
    defaultValue: '25',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_SWEEP_MAX_SHARDS',
    description: 'Shard activities of the sweep fan-out in flight at once across the app (1-100)',
    defaultValue: '4',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_IN_CLUSTER',
    description: "`on` to read each cluster's Kubernetes objects for the K8S-* rules (needs the least access in README), `off` (default)",
    defaultValue: 'off',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_IN_CLUSTER_TIMEOUT_SECONDS',
    description: "Time budget of one cluster's in-cluster read (1-600): past it the cluster is unreachable (timeout) and the others go on",
    defaultValue: '60',
    requiredInAzure: false,
  },
  { name: 'FLEETGUARD_IN_CLUSTER_PAGE_SIZE', description: 'Objects per Kubernetes list call (`limit`, 1-5000)', defaultValue: '500', requiredInAzure: false },
  {
    name: 'FLEETGUARD_IN_CLUSTER_SCHEDULE',
    description:
      'NCRONTAB schedule of the inClusterSweep timer, which fans the in-cluster checks out over Durable activities; in the Functions app the fleetSweep timer then leaves the in-cluster stage out (the CLI keeps it in-process)',
    defaultValue: SCHEDULE_SETTINGS.inCluster.defaultValue,
    requiredInAzure: false,
  },
  { name: 'FLEETGUARD_IN_CLUSTER_BATCH_SIZE', description: 'Clusters per in-cluster batch activity (1-500)', defaultValue: '50', requiredInAzure: false },
  {
    name: 'FLEETGUARD_IN_CLUSTER_MAX_BATCHES',
    description: 'In-cluster batch activities in flight at once across the app (1-100)',
    defaultValue: '10',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_IN_CLUSTER_CONCURRENCY',
    description: 'Clusters one in-cluster batch activity reads at once (1-64)',
    defaultValue: '8',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_IN_CLUSTER_RUN_COMMAND',
    description:
      'The AKS runCommand fallback for API servers the app cannot reach: `off` (default), `private-only` (private clusters are read through runCommand instead of their API server) or `unreachable` (any cluster whose API server cannot be reached is read again through runCommand within its time budget). Each command is an ARM write and a pod in the cluster: see README "In-cluster posture"',
    defaultValue: 'off',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_HTTP_MAX_RETRIES',
    description:
      'Retries of a throttled or failed Azure call (0-10); Retry-After is honoured, and the quota headers of Resource Graph (x-ms-user-quota-resets-after)',
    defaultValue: '3',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_PRODUCTION_TAG',
    description:
      'The tag that marks a production cluster, as `name=value|value` (names and values compared case-insensitively); AKS-PRODUCTION-TIER asks those clusters for the Standard or Premium tier',
    defaultValue: 'environment=production|prod',
    requiredInAzure: false,
  },
  { name: 'FLEETGUARD_TARGET', description: '`azure` (default) or `simulator` for the local Azure simulator', defaultValue: 'azure', requiredInAzure: false },
  {
    name: 'FLEETGUARD_ARM_ENDPOINT',
    description: 'Azure Resource Manager endpoint (sovereign clouds, simulator)',
    defaultValue: 'https://management.azure.com',
    requiredInAzure: false,
  },
  { name: 'FLEETGUARD_ARM_CA_FILE', description: 'PEM file of the CA that signs the simulator certificate (simulator only)', requiredInAzure: false },
  {
    name: 'FLEETGUARD_LOG_WORKSPACES',
    description:
      'Comma-separated Log Analytics workspace resource ids to query besides those the clusters reference (e.g. where AKS diagnostic settings send audit logs)',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_LOG_QUERY_TIMEOUT_SECONDS',
    description: 'Time one Log Analytics query may take before its workspace counts as failed for that detection (1-600)',
    defaultValue: '120',
    requiredInAzure: false,
  },
  { name: 'FLEETGUARD_DETECTION_LOOKBACK_MINUTES', description: 'Look-back window of the KQL detections (5-1440)', defaultValue: '60', requiredInAzure: false },
  {
    name: 'FLEETGUARD_DETECTION_THRESHOLDS',
    description: 'JSON object of threshold overrides by detection id, e.g. {"failed-api-auth": 20}',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_LOGS_ENDPOINT',
    description: 'Log Analytics query endpoint including /v1 (sovereign clouds); the simulator serves it beside ARM',
    defaultValue: 'https://api.loganalytics.io/v1',
    requiredInAzure: false,
  },
  { name: 'AZURE_CLIENT_ID', description: 'Client id of the user-assigned managed identity the app runs as', requiredInAzure: true },
  { name: 'AzureWebJobsStorage__accountName', description: 'Storage account for findings and sweep records (identity-based)', requiredInAzure: true },
  { name: 'AzureWebJobsStorage', description: 'Alternative to __accountName: a connection string (Azurite, local runs)', requiredInAzure: false },
  { name: 'AzureWebJobsStorage__tableServiceUri', description: 'Alternative to __accountName: the Table service URL', requiredInAzure: false },
  { name: 'FLEETGUARD_FINDINGS_TABLE', description: 'Table of findings', defaultValue: 'fleetguardFindings', requiredInAzure: false },
  { name: 'FLEETGUARD_SWEEPS_TABLE', description: 'Table of sweep records', defaultValue: 'fleetguardSweeps', requiredInAzure: false },
  { name: 'FLEETGUARD_ALERT_ROUTES', description: 'Alert routing document (JSON or YAML): receivers, routes, webhook allow-list', requiredInAzure: false },
  { name: 'FLEETGUARD_ALERT_ROUTES_FILE', description: 'Path of the alert routing document, instead of FLEETGUARD_ALERT_ROUTES', requiredInAzure: false },
  {
    name: 'FLEETGUARD_ALERT_DRAIN_SCHEDULE',
    description: 'NCRONTAB of the alert outbox drain',
    defaultValue: SCHEDULE_SETTINGS.alertDrain.defaultValue,
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_ALERT_ENDPOINT',
    description: 'Simulator only: send every notification to this local sink instead of the vendor',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_ALERTS_TABLE',
    description: 'Table of the alert outbox, notification log, silences and inhibitions',
    defaultValue: 'fleetguardAlerts',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_MAX_ACTIVE_SILENCES',
    description: 'Silences that may be active at once (1-10000); creating one more is refused (400 naming the limit) until one expires',
    defaultValue: '500',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_MAX_SILENCE_DURATION',
    description: 'Longest silence the CLI and the HTTP API create (1m-365d, e.g. 30d or 12h); a longer --duration is refused',
    defaultValue: '30d',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_ROLLOUTS_TABLE',
    description: 'Table of rollout history and the principals who acted on them',
    defaultValue: 'fleetguardRollouts',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_EVENTS_TABLE',
    description: 'Table of processed Event Grid event ids and AKS notices',
    defaultValue: 'fleetguardEvents',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_EVENT_ROWS_PER_TOPIC_HOUR',
    description:
      'Processed-event rows one Event Grid topic may add per hour (1-100000); past it, events are still handled (idempotently) but not recorded as processed',
    defaultValue: String(DEFAULT_PROCESSED_ROWS_PER_TOPIC_HOUR),
    requiredInAzure: false,
  },
  { name: 'DURABLE_TASK_HUB_NAME', description: 'Durable Functions task hub (host.json reads it)', defaultValue: 'fleetguard', requiredInAzure: true },
  {
    name: 'FLEETGUARD_LOCAL_DEVELOPMENT_AUTH',
    description:
      'Local development only, never in Azure: `allow-unauthenticated-header` serves the HTTP API without App Service Authentication (WEBSITE_AUTH_ENABLED), trusting any x-ms-client-principal header; unset, the API answers 503 until authentication is on',
    requiredInAzure: false,
  },
];

/**
 * Settings of `fleetguard rollouts`, the command line client of a deployed app. They are read on
 * the operator's machine, never deployed (so they are not in SETTINGS, which Bicep follows); the
 * flags `--api`, `--audience` and `--function-key` override them.
 */
export const CLI_SETTINGS: readonly SettingDescription[] = [
  {
    name: 'FLEETGUARD_API_URL',
    description: 'Base URL of the deployed app, e.g. https://<app>.azurewebsites.net (https; http only to a loopback address)',
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_API_AUDIENCE',
    description: "Entra audience of the app (its Application ID URI, e.g. api://<appId>); the CLI asks DefaultAzureCredential for '<audience>/.default'",
    requiredInAzure: false,
  },
  {
    name: 'FLEETGUARD_API_FUNCTION_KEY',
    description: 'Function key the HTTP routes also require (sent as x-functions-key, never printed)',
    requiredInAzure: false,
  },
];

/** Where `fleetguard rollouts` sends its requests and for which audience it gets a token. */
export interface CliApiSettings {
  apiUrl: string | undefined;
  audience: string | undefined;
  functionKey: string | undefined;
}

/**
 * A usable API base URL, without trailing slashes: https, or http to a loopback address (a local
 * app); a bearer token never travels in clear text over a network.
 */
export function apiBaseUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new FleetGuardError('config', `${source}: '${value}' is not a URL`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new FleetGuardError('config', `${source}: must be an https:// URL (http:// only to a loopback address)`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '')
    throw new FleetGuardError('config', `${source}: must be a base URL without query, fragment or credentials`);
  return url.toString().replace(/\/+$/, '');
}

/** An Entra audience: an Application ID URI (api://..., https://...) or a client id (GUID). */
export function apiAudience(value: string, source: string): string {
  const audience = value
    .trim()
    .replace(/\/+$/, '')
    .replace(/\/\.default$/, '');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(audience) && !/^(api|https):\/\/[^\s]+$/i.test(audience)) {
    throw new FleetGuardError(
      'config',
      `${source}: '${value}' is not an Entra audience (api://<appId>, an https:// Application ID URI, or the app's client id)`,
    );
  }
  return audience;
}

/** The `fleetguard rollouts` settings from an environment map; every problem named at once. */
export function parseCliApiSettings(env: Record<string, string | undefined>): CliApiSettings {
  const problems: string[] = [];
  const read = <T>(name: string, parse: (value: string, source: string) => T): T | undefined => {
    const value = env[name]?.trim();
    if (value === undefined || value === '') return undefined;
    try {
      return parse(value, name);
    } catch (error) {
      problems.push((error as Error).message);
      return undefined;
    }
  };
  const settings = {
    apiUrl: read('FLEETGUARD_API_URL', apiBaseUrl),
    audience: read('FLEETGUARD_API_AUDIENCE', apiAudience),
    functionKey: read('FLEETGUARD_API_FUNCTION_KEY', (value) => value),
  };
  if (problems.length > 0) throw configError(problems);
  return settings;
}

const SUBSCRIPTION_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;
const TASK_HUB_NAME = /^[A-Za-z][A-Za-z0-9]{2,44}$/;
/** ARM tag names: 1-512 characters, none of `<>%&\\?/` (Learn, "Tag resources": limitations); `=` separates the value. */
const PRODUCTION_TAG = /^([^<>%&\\?/=]{1,512})=(.+)$/;
const WORKSPACE_ID = /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.operationalinsights\/workspaces\/[^/]+$/i;

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

function integerSetting(defaultValue: number, min: number, max: number) {
  return optionalText.pipe(
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
      .optional()
      .transform((value) => value ?? defaultValue),
  );
}

function tableNameSetting(defaultValue: string) {
  return optionalText.pipe(
    z
      .string()
      .regex(TABLE_NAME, 'must be a table name (a letter, then 2-62 letters or digits)')
      .optional()
      .transform((value) => value ?? defaultValue),
  );
}

function httpsUrl(defaultValue: string | undefined) {
  return optionalText.pipe(
    z
      .string()
      .refine((value) => {
        try {
          return new URL(value).protocol === 'https:';
        } catch {
          return false;
        }
      }, 'must be an https:// URL')
      .transform((value) => value.replace(/\/+$/, ''))
      .optional()
      .transform((value) => value ?? defaultValue),
  );
}

const environmentSchema = z.object({
  FLEETGUARD_SUBSCRIPTIONS: optionalText.pipe(
    z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== ''),
      )
      .pipe(z.array(z.string().regex(SUBSCRIPTION_ID, 'each entry must be a subscription id (GUID)')))
      .optional()
      .transform((value) => value ?? []),
  ),
  FLEETGUARD_SWEEP_SCHEDULE: optionalText.pipe(
    z
      .string()
      .refine(isNcrontab, NCRONTAB_MESSAGE)
      .optional()
      .transform((value) => value ?? SCHEDULE_SETTINGS.sweep.defaultValue),
  ),
  FLEETGUARD_SWEEP_CONCURRENCY: integerSetting(8, 1, 64),
  FLEETGUARD_SWEEP_FANOUT_FROM_SUBSCRIPTIONS: integerSetting(200, 0, 100_000),
  FLEETGUARD_SWEEP_SHARD_SUBSCRIPTIONS: integerSetting(25, 1, 1000),
  FLEETGUARD_SWEEP_MAX_SHARDS: integerSetting(4, 1, 100),
  FLEETGUARD_SWEEP_SHARD_CLUSTERS: integerSetting(2000, 1, 100_000),
  FLEETGUARD_HTTP_MAX_RETRIES: integerSetting(3, 0, 10),
  FLEETGUARD_IN_CLUSTER: optionalText.pipe(
    z
      .enum(['on', 'off'])
      .optional()
      .transform((value) => value ?? 'off'),
  ),
  FLEETGUARD_IN_CLUSTER_TIMEOUT_SECONDS: integerSetting(60, 1, 600),
  FLEETGUARD_IN_CLUSTER_PAGE_SIZE: integerSetting(500, 1, 5000),
  FLEETGUARD_IN_CLUSTER_SCHEDULE: optionalText.pipe(
    z
      .string()
      .refine(isNcrontab, NCRONTAB_MESSAGE)
      .optional()
      .transform((value) => value ?? SCHEDULE_SETTINGS.inCluster.defaultValue),
  ),
  FLEETGUARD_IN_CLUSTER_BATCH_SIZE: integerSetting(50, 1, 500),
  FLEETGUARD_IN_CLUSTER_MAX_BATCHES: integerSetting(10, 1, 100),
  FLEETGUARD_IN_CLUSTER_CONCURRENCY: integerSetting(8, 1, 64),
  FLEETGUARD_IN_CLUSTER_RUN_COMMAND: optionalText.pipe(
    z
      .enum(['off', 'private-only', 'unreachable'])
      .optional()
      .transform((value) => value ?? 'off'),
  ),
  FLEETGUARD_INVENTORY_SOURCE: optionalText.pipe(
    z
      .enum(['auto', 'resourceGraph', 'arm'])
      .optional()
      .transform((value) => value ?? 'auto'),
  ),
  FLEETGUARD_PRODUCTION_TAG: optionalText.pipe(
    z
      .string()
      .transform((value, context): PostureSettings['productionTag'] => {
        const match = PRODUCTION_TAG.exec(value);
        const values = (match?.[2] ?? '').split('|').map((part) => part.trim());
        if (match === null || (match[1] ?? '').trim() === '' || values.some((part) => part === '')) {
          context.addIssue({ code: 'custom', message: 'must be a tag name, "=", and one or more values separated by "|" (environment=production|prod)' });
          return z.NEVER;
        }
        return { name: (match[1] ?? '').trim(), values };
      })
      .optional()
      .transform((value) => value ?? DEFAULT_POSTURE_SETTINGS.productionTag),
  ),
  FLEETGUARD_TARGET: optionalText.pipe(
    z
      .enum(['azure', 'simulator'])
      .optional()
      .transform((value) => value ?? 'azure'),
  ),
  FLEETGUARD_ARM_ENDPOINT: httpsUrl('https://management.azure.com'),
  FLEETGUARD_ARM_CA_FILE: optionalText,
  FLEETGUARD_LOG_WORKSPACES: optionalText.pipe(
    z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== ''),
      )
      .pipe(
        z.array(
          z
            .string()
            .regex(WORKSPACE_ID, 'each entry must be a workspace resource id (/subscriptions/.../providers/Microsoft.OperationalInsights/workspaces/NAME)'),
        ),
      )
      .optional()
      .transform((value) => value ?? []),
  ),
  FLEETGUARD_DETECTION_LOOKBACK_MINUTES: integerSetting(60, 5, 1440),
  FLEETGUARD_LOG_QUERY_TIMEOUT_SECONDS: integerSetting(120, 1, 600),
  FLEETGUARD_DETECTION_THRESHOLDS: optionalText.pipe(
    z
      .string()
      .transform((value, context) => {
        try {
          return JSON.parse(value) as unknown;
        } catch {
          context.addIssue({ code: 'custom', message: 'must be a JSON object' });
          return z.NEVER;
        }
      })
      .pipe(
        z.record(z.string(), z.number().int().min(1, 'thresholds must be whole numbers of at least 1')).superRefine((thresholds, context) => {
          for (const key of Object.keys(thresholds)) {
            if (!DETECTION_IDS.includes(key)) {
              context.addIssue({ code: 'custom', message: `unknown detection id "${key}" (known: ${DETECTION_IDS.join(', ')})` });
            }
          }
        }),
      )
      .optional()
      .transform((value) => value ?? {}),
  ),
  FLEETGUARD_LOGS_ENDPOINT: httpsUrl(undefined),
  AZURE_CLIENT_ID: optionalText,
  AzureWebJobsStorage: optionalText,
  AzureWebJobsStorage__accountName: optionalText.pipe(
    z
      .string()
      .regex(/^[a-z0-9]{3,24}$/, 'must be a storage account name (3-24 lower-case letters and digits)')
      .optional(),
  ),
  AzureWebJobsStorage__tableServiceUri: httpsUrl(undefined),
  FLEETGUARD_FINDINGS_TABLE: tableNameSetting('fleetguardFindings'),
  FLEETGUARD_SWEEPS_TABLE: tableNameSetting('fleetguardSweeps'),
  FLEETGUARD_EVENTS_TABLE: tableNameSetting('fleetguardEvents'),
  FLEETGUARD_EVENT_ROWS_PER_TOPIC_HOUR: integerSetting(DEFAULT_PROCESSED_ROWS_PER_TOPIC_HOUR, 1, 100_000),
  FLEETGUARD_ALERTS_TABLE: tableNameSetting('fleetguardAlerts'),
  FLEETGUARD_ROLLOUTS_TABLE: tableNameSetting('fleetguardRollouts'),
  FLEETGUARD_MAX_ACTIVE_SILENCES: integerSetting(500, 1, 10_000),
  FLEETGUARD_MAX_SILENCE_DURATION: optionalText.pipe(
    z
      .string()
      .transform((value, context) => {
        try {
          return parseDuration(value);
        } catch {
          context.addIssue({ code: 'custom', message: 'must be a duration such as 30d or 12h' });
          return z.NEVER;
        }
      })
      .pipe(
        z
          .number()
          .min(60_000, 'must be at least 1m')
          .max(365 * 86_400_000, 'must be at most 365d'),
      )
      .optional()
      // 30 days: the limit the HTTP API always had, so nothing it accepted is refused now.
      .transform((value) => value ?? 30 * 86_400_000),
  ),
  FLEETGUARD_ALERT_ROUTES: optionalText,
  FLEETGUARD_ALERT_ROUTES_FILE: optionalText,
  FLEETGUARD_ALERT_DRAIN_SCHEDULE: optionalText.pipe(
    z
      .string()
      .refine(isNcrontab, NCRONTAB_MESSAGE)
      .optional()
      .transform((value) => value ?? SCHEDULE_SETTINGS.alertDrain.defaultValue),
  ),
  FLEETGUARD_ALERT_ENDPOINT: httpsUrl(undefined),
  // Set by the platform, not by us: `True` when App Service Authentication is on.
  WEBSITE_AUTH_ENABLED: optionalText.transform((value) => value?.toLowerCase() === 'true'),
  FLEETGUARD_LOCAL_DEVELOPMENT_AUTH: optionalText.pipe(
    z.enum(['allow-unauthenticated-header'], { message: 'must be allow-unauthenticated-header (local development only) or unset' }).optional(),
  ),
  DURABLE_TASK_HUB_NAME: optionalText.pipe(
    z
      .string()
      .regex(TASK_HUB_NAME, 'must be a task hub name (a letter, then 2-44 letters or digits)')
      .optional()
      .transform((v) => v ?? 'fleetguard'),
  ),
});

type Environment = Record<string, string | undefined>;

/**
 * Parses settings from an environment map. Reports every problem at once, each naming its setting,
 * in a single `FleetGuardError` with reason `config`.
 */
export function parseConfig(env: Environment): FleetGuardConfig {
  const parsed = environmentSchema.safeParse(env);
  const problems: string[] = parsed.success ? [] : describeZodIssues(parsed.error, { whole: '(settings)', path: describeSettingPath });
  if (!parsed.success) throw configError(problems);
  const settings = parsed.data;

  const azure = resolveAzureTarget(settings, problems);
  const storage = resolveStorage(settings, problems);
  if (settings.FLEETGUARD_ALERT_ENDPOINT !== undefined && settings.FLEETGUARD_TARGET !== 'simulator') {
    problems.push('FLEETGUARD_ALERT_ENDPOINT: only allowed when FLEETGUARD_TARGET is simulator');
  }
  if (problems.length > 0 || azure === undefined) throw configError(problems);
  const alerts = resolveAlerting(settings, env);

  return {
    azure,
    subscriptions: settings.FLEETGUARD_SUBSCRIPTIONS.map((id) => id.toLowerCase()),
    sweep: {
      schedule: settings.FLEETGUARD_SWEEP_SCHEDULE,
      concurrency: settings.FLEETGUARD_SWEEP_CONCURRENCY,
      inventorySource: settings.FLEETGUARD_INVENTORY_SOURCE,
      fanOut: {
        fromSubscriptions: settings.FLEETGUARD_SWEEP_FANOUT_FROM_SUBSCRIPTIONS,
        shardSubscriptions: settings.FLEETGUARD_SWEEP_SHARD_SUBSCRIPTIONS,
        maxShardsInFlight: settings.FLEETGUARD_SWEEP_MAX_SHARDS,
      },
      shardClusters: settings.FLEETGUARD_SWEEP_SHARD_CLUSTERS,
    },
    inCluster: {
      enabled: settings.FLEETGUARD_IN_CLUSTER === 'on',
      clusterTimeoutSeconds: settings.FLEETGUARD_IN_CLUSTER_TIMEOUT_SECONDS,
      pageSize: settings.FLEETGUARD_IN_CLUSTER_PAGE_SIZE,
      schedule: settings.FLEETGUARD_IN_CLUSTER_SCHEDULE,
      batchSize: settings.FLEETGUARD_IN_CLUSTER_BATCH_SIZE,
      maxBatchesInFlight: settings.FLEETGUARD_IN_CLUSTER_MAX_BATCHES,
      clusterConcurrency: settings.FLEETGUARD_IN_CLUSTER_CONCURRENCY,
      runCommand: settings.FLEETGUARD_IN_CLUSTER_RUN_COMMAND,
    },
    http: { maxRetries: settings.FLEETGUARD_HTTP_MAX_RETRIES },
    posture: { productionTag: settings.FLEETGUARD_PRODUCTION_TAG },
    logs: {
      // The simulator serves the Logs API beside ARM, as `${endpoint}/v1`.
      endpoint: settings.FLEETGUARD_LOGS_ENDPOINT ?? (azure.kind === 'simulator' ? `${azure.armEndpoint}/v1` : 'https://api.loganalytics.io/v1'),
      workspaces: settings.FLEETGUARD_LOG_WORKSPACES,
      lookbackMinutes: settings.FLEETGUARD_DETECTION_LOOKBACK_MINUTES,
      queryTimeoutSeconds: settings.FLEETGUARD_LOG_QUERY_TIMEOUT_SECONDS,
      thresholds: settings.FLEETGUARD_DETECTION_THRESHOLDS,
    },
    storage,
    tables: {
      findings: settings.FLEETGUARD_FINDINGS_TABLE,
      sweeps: settings.FLEETGUARD_SWEEPS_TABLE,
      events: settings.FLEETGUARD_EVENTS_TABLE,
      alerts: settings.FLEETGUARD_ALERTS_TABLE,
      rollouts: settings.FLEETGUARD_ROLLOUTS_TABLE,
    },
    events: { processedRowsPerTopicHour: settings.FLEETGUARD_EVENT_ROWS_PER_TOPIC_HOUR },
    durableTaskHubName: settings.DURABLE_TASK_HUB_NAME,
    alerts,
    silences: { maxActive: settings.FLEETGUARD_MAX_ACTIVE_SILENCES, maxDurationMs: settings.FLEETGUARD_MAX_SILENCE_DURATION },
    alertDelivery: { drainSchedule: settings.FLEETGUARD_ALERT_DRAIN_SCHEDULE, endpointOverride: settings.FLEETGUARD_ALERT_ENDPOINT },
    httpAuth: { appServiceAuthentication: settings.WEBSITE_AUTH_ENABLED, localDevelopment: settings.FLEETGUARD_LOCAL_DEVELOPMENT_AUTH },
  };
}

type ParsedEnvironment = z.output<typeof environmentSchema>;

function resolveAzureTarget(settings: ParsedEnvironment, problems: string[]): AzureTarget | undefined {
  const armEndpoint = settings.FLEETGUARD_ARM_ENDPOINT ?? 'https://management.azure.com';
  if (settings.FLEETGUARD_TARGET === 'azure') {
    return { kind: 'azure', armEndpoint, managedIdentityClientId: settings.AZURE_CLIENT_ID };
  }
  const caFile = settings.FLEETGUARD_ARM_CA_FILE;
  if (caFile === undefined) {
    problems.push('FLEETGUARD_ARM_CA_FILE: required when FLEETGUARD_TARGET is simulator');
    return undefined;
  }
  try {
    const caPem = readFileSync(caFile, 'utf8');
    if (!caPem.includes('BEGIN CERTIFICATE')) {
      problems.push(`FLEETGUARD_ARM_CA_FILE: ${caFile} is not a PEM certificate`);
      return undefined;
    }
    return { kind: 'simulator', armEndpoint, caPem };
  } catch (error) {
    problems.push(`FLEETGUARD_ARM_CA_FILE: cannot read ${caFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

function resolveAlerting(settings: ParsedEnvironment, env: Environment): AlertingConfig | undefined {
  if (settings.FLEETGUARD_ALERT_ROUTES !== undefined && settings.FLEETGUARD_ALERT_ROUTES_FILE !== undefined) {
    throw configError(['FLEETGUARD_ALERT_ROUTES_FILE: set either it or FLEETGUARD_ALERT_ROUTES, not both']);
  }
  if (settings.FLEETGUARD_ALERT_ROUTES !== undefined) return parseAlertingDocument(settings.FLEETGUARD_ALERT_ROUTES, 'FLEETGUARD_ALERT_ROUTES', env);
  const file = settings.FLEETGUARD_ALERT_ROUTES_FILE;
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw configError([`FLEETGUARD_ALERT_ROUTES_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  return parseAlertingDocument(text, file, env);
}

function resolveStorage(settings: ParsedEnvironment, problems: string[]): StorageTarget | undefined {
  if (settings.AzureWebJobsStorage__tableServiceUri !== undefined) {
    return { kind: 'tableServiceUrl', url: settings.AzureWebJobsStorage__tableServiceUri, setting: 'AzureWebJobsStorage__tableServiceUri' };
  }
  if (settings.AzureWebJobsStorage__accountName !== undefined) {
    const url = `https://${settings.AzureWebJobsStorage__accountName}.table.core.windows.net`;
    return { kind: 'tableServiceUrl', url, setting: 'AzureWebJobsStorage__accountName' };
  }
  const connectionString = settings.AzureWebJobsStorage;
  if (connectionString === undefined) return undefined;
  if (connectionString === 'UseDevelopmentStorage=true' || /(^|;)(TableEndpoint|AccountName)=/i.test(connectionString)) {
    return { kind: 'connectionString', connectionString, setting: 'AzureWebJobsStorage' };
  }
  // Never echo the value: a connection string holds the account key.
  problems.push('AzureWebJobsStorage: is not a storage connection string (expected AccountName=... or TableEndpoint=...)');
  return undefined;
}

/** `FLEETGUARD_SUBSCRIPTIONS (entry 2)` rather than `FLEETGUARD_SUBSCRIPTIONS.1`. */
function describeSettingPath(path: readonly PropertyKey[]): string {
  const [setting, ...rest] = path;
  if (setting === undefined) return '(settings)';
  const detail = rest.map((part) => (typeof part === 'number' ? `entry ${part + 1}` : String(part))).join(', ');
  return detail === '' ? String(setting) : `${String(setting)} (${detail})`;
}

function configError(problems: string[]): FleetGuardError {
  return new FleetGuardError('config', `Invalid settings:\n  - ${problems.join('\n  - ')}`);
}

/**
 * The process environment, for local hosts that must point the app at a local Azure (the
 * rehearsal writes the simulator's settings there, as Azure writes app settings).
 */
export function processEnvironment(): Record<string, string | undefined> {
  return process.env;
}

let cached: FleetGuardConfig | undefined;

/** The app's configuration, parsed from `process.env` on first use and kept for the process. */
export function getConfig(): FleetGuardConfig {
  cached ??= parseConfig(process.env);
  return cached;
}

/**
 * Local hosts only (rehearsals, tests that run several local environments in one process): forget
 * the parsed configuration so the next `getConfig` reads the environment again. A Functions worker
 * never calls this.
 */
export function forgetConfigForLocalHost(): void {
  cached = undefined;
}

/** Requires the findings store settings, for code paths that cannot run without it. */
export function requireStorage(config: FleetGuardConfig): StorageTarget {
  if (config.storage === undefined) {
    throw new FleetGuardError(
      'config',
      'Invalid settings:\n  - AzureWebJobsStorage__accountName: required (or AzureWebJobsStorage / AzureWebJobsStorage__tableServiceUri) to store findings',
    );
  }
  return config.storage;
}
