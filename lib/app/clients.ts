/**
 * Composition root: every SDK client the app uses, built once from configuration. Real Azure uses
 * DefaultAzureCredential; the simulator target uses its endpoint, its CA and a static token.
 */
import type { LimitFunction } from 'p-limit';

import { AlertPipeline } from '../alerts/alertPipeline.js';
import { AlertStore } from '../alerts/alertStore.js';
import type { RetrySettings } from '../azure/clientOptions.js';
import type { ContainerServiceAdapter } from '../azure/containerService.js';
import { createCredential } from '../azure/credential.js';
import type { DiagnosticSettingsAdapter } from '../azure/diagnosticSettings.js';
import type { KubernetesAdapter } from '../azure/kubernetes.js';
import { lazyAdapter } from '../azure/lazyAdapter.js';
import type { LogAnalyticsAdapter } from '../azure/logAnalytics.js';
import type { PolicyInsightsAdapter } from '../azure/policyInsights.js';
import type { ResourceGraphAdapter } from '../azure/resourceGraph.js';
import type { SubscriptionsAdapter } from '../azure/subscriptions.js';
import { createTableClient } from '../azure/tables.js';
import type { FleetGuardConfig } from '../config.js';
import { DETECTIONS } from '../detections/catalog.js';
import { NoticeStore } from '../events/noticeStore.js';
import { FindingsStore } from '../findings/findingsStore.js';
import type { DiagnosticSettingsReader } from '../model/diagnosticSettings.js';
import type { InClusterReader } from '../model/inCluster.js';
import type { PostureSettings } from '../posture/rule.js';
import type { DetectionSettings, LogsReader } from '../sweep/detectionStage.js';
import type { FleetReader } from '../sweep/fleetReader.js';
import type { PolicyReader } from '../sweep/policyStage.js';
import type { SweepDependencies } from '../sweep/runSweep.js';
import { SweepRecordStore } from '../sweep/sweepRecordStore.js';
import { RolloutStore } from '../upgrades/rolloutStore.js';

export interface AzureClients {
  fleet: FleetReader;
  policy: PolicyReader;
  logs: { reader: LogsReader; settings: DetectionSettings };
  /** Each cluster's Kubernetes objects through its API server: present when FLEETGUARD_IN_CLUSTER is on. */
  inCluster: InClusterReader | undefined;
  /** Each cluster's diagnostic settings (AKS-AUDIT-LOGS), read on the in-cluster schedule: present with `inCluster`. */
  diagnostics: DiagnosticSettingsReader | undefined;
  /** FLEETGUARD_PRODUCTION_TAG, for the posture rules. */
  posture: PostureSettings;
  /** The adapters themselves, for reads of single resources (event reactions). */
  containerService: ContainerServiceAdapter;
  policyInsights: PolicyInsightsAdapter;
  /** Present when storage is configured. */
  findings: FindingsStore | undefined;
  sweeps: SweepRecordStore | undefined;
  notices: NoticeStore | undefined;
  /** Outbox, notification log, silences: present when storage is configured. */
  alertStore: AlertStore | undefined;
  /** Present when storage and alert routing are configured. */
  alerts: AlertPipeline | undefined;
  /** Rollout history: present when storage is configured. */
  rollouts: RolloutStore | undefined;
}

export interface AzureClientsOptions {
  /** Overrides the SDK's retry timing (tests and benchmarks shorten the back-off). */
  retry?: Partial<RetrySettings>;
}

export function createAzureClients(config: FleetGuardConfig, options: AzureClientsOptions = {}): AzureClients {
  const credential = createCredential(config.azure);
  const retry: RetrySettings = { maxRetries: config.http.maxRetries, ...options.retry };
  // Cold start: each SDK package is imported on its adapter's first call, not when the app loads.
  const containerService = lazyAdapter<ContainerServiceAdapter>(
    async () => new (await import('../azure/containerService.js')).ContainerServiceAdapter(credential, config.azure, retry),
  );
  const subscriptions = lazyAdapter<SubscriptionsAdapter>(
    async () => new (await import('../azure/subscriptions.js')).SubscriptionsAdapter(credential, config.azure, retry),
  );
  // One Resource Graph query for all subscriptions' clusters and policy states (see BENCHMARKS.md).
  // The policy definitions' names come from it in every inventory mode (one query per sweep).
  const resourceGraph = lazyAdapter<ResourceGraphAdapter>(
    async () => new (await import('../azure/resourceGraph.js')).ResourceGraphAdapter(credential, config.azure, retry),
  );
  const graph = config.sweep.inventorySource !== 'arm' ? resourceGraph : undefined;
  const fleet: FleetReader = {
    listSubscriptionIds: () => subscriptions.listEnabledSubscriptionIds(),
    listClusters: (subscriptionId) => containerService.listClusters(subscriptionId),
    listKubernetesVersions: (subscriptionId, location) => containerService.listKubernetesVersions(subscriptionId, location),
    ...(graph
      ? {
          listClustersAcross: (subscriptionIds: readonly string[], slots: LimitFunction) => graph.listClusters(subscriptionIds, slots),
          resourceGraphFromSubscriptions: config.sweep.inventorySource === 'auto' ? config.sweep.concurrency + 1 : 0,
          countClustersAcross: (subscriptionIds: readonly string[]) => graph.countClusters(subscriptionIds),
        }
      : {}),
  };
  const policyInsights = lazyAdapter<PolicyInsightsAdapter>(
    async () => new (await import('../azure/policyInsights.js')).PolicyInsightsAdapter(credential, config.azure, retry),
  );
  const policy: PolicyReader = {
    listNonCompliantClusterStates: (subscriptionId) => policyInsights.listNonCompliantClusterStates(subscriptionId),
    summarizeClusterCompliance: (subscriptionId) => policyInsights.summarizeClusterCompliance(subscriptionId),
    listNonCompliantComponents: (clusterId) => policyInsights.listNonCompliantComponents(clusterId),
    listNonCompliantComponentsInSubscription: (subscriptionId) => policyInsights.listNonCompliantComponentsInSubscription(subscriptionId),
    listPolicyDefinitionNames: (ids, subscriptionIds) => resourceGraph.listPolicyDefinitionNames(ids, subscriptionIds),
    ...(graph ? { acrossSubscriptions: graph } : {}),
  };
  const logs = {
    reader: lazyAdapter<LogAnalyticsAdapter>(
      async () =>
        new (await import('../azure/logAnalytics.js')).LogAnalyticsAdapter(
          credential,
          config.azure,
          config.logs.endpoint,
          retry,
          config.logs.queryTimeoutSeconds,
        ),
    ),
    settings: {
      detections: DETECTIONS,
      configuredWorkspaces: config.logs.workspaces,
      lookbackMinutes: config.logs.lookbackMinutes,
      thresholds: config.logs.thresholds,
    },
  };
  const inCluster = config.inCluster.enabled
    ? lazyAdapter<KubernetesAdapter>(async () => {
        // The AKS runCommand fallback only when opted in (FLEETGUARD_IN_CLUSTER_RUN_COMMAND): each command is an ARM write and a pod.
        const runCommand =
          config.inCluster.runCommand === 'off'
            ? undefined
            : await import('../azure/runCommand.js').then(
                ({ RunCommandClient, RunCommandReader }) => new RunCommandReader(new RunCommandClient(credential, config.azure, retry)),
              );
        return new (await import('../azure/kubernetes.js')).KubernetesAdapter(containerService, credential, config.inCluster, runCommand);
      })
    : undefined;
  const diagnostics = config.inCluster.enabled
    ? lazyAdapter<DiagnosticSettingsAdapter>(
        async () => new (await import('../azure/diagnosticSettings.js')).DiagnosticSettingsAdapter(credential, config.azure, retry),
      )
    : undefined;
  const storage = config.storage;
  const alertStore = storage === undefined ? undefined : new AlertStore(createTableClient(storage, config.tables.alerts, credential, retry));
  return {
    fleet,
    policy,
    logs,
    inCluster,
    diagnostics,
    posture: config.posture,
    containerService,
    policyInsights,
    findings: storage === undefined ? undefined : new FindingsStore(createTableClient(storage, config.tables.findings, credential, retry)),
    sweeps: storage === undefined ? undefined : new SweepRecordStore(createTableClient(storage, config.tables.sweeps, credential, retry)),
    notices: storage === undefined ? undefined : new NoticeStore(createTableClient(storage, config.tables.events, credential, retry)),
    alertStore,
    alerts: alertStore === undefined || config.alerts === undefined ? undefined : new AlertPipeline(config.alerts, alertStore),
    rollouts: storage === undefined ? undefined : new RolloutStore(createTableClient(storage, config.tables.rollouts, credential, retry)),
  };
}

/** What a sweep reads and writes, from the clients; `withStore: false` for report-only runs. */
export function sweepDependencies(clients: AzureClients, options: { withStore?: boolean } = {}): SweepDependencies {
  const withStore = options.withStore ?? true;
  return {
    fleet: clients.fleet,
    policy: clients.policy,
    logs: clients.logs,
    posture: clients.posture,
    ...(clients.inCluster ? { inCluster: clients.inCluster } : {}),
    ...(clients.diagnostics ? { diagnostics: clients.diagnostics } : {}),
    ...(withStore && clients.findings ? { findings: clients.findings } : {}),
    ...(withStore && clients.sweeps ? { sweeps: clients.sweeps } : {}),
    ...(withStore && clients.notices ? { notices: clients.notices } : {}),
    ...(withStore && clients.alerts ? { alerts: clients.alerts } : {}),
  };
}
