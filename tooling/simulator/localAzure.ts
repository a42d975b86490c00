/**
 * A whole local Azure for the CLI, demo, tests and benchmarks: the simulator (seeded from a
 * snapshot) and optionally in-process Azurite, plus the settings that point the app at them. The
 * settings go through the same `parseConfig` as production, so nothing is wired differently.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { simulatorToken } from '../../lib/azure/credential.js';
import { AKS_ENTRA_SCOPE } from '../../lib/azure/kubernetes.js';
import { type FleetGuardConfig, parseConfig } from '../../lib/config.js';
import { type RunningAzurite, startAzuriteTables } from './azurite.js';
import type { FaultPlan } from './faults.js';
import { credentialRoutes, type KubernetesStandIn, startKubernetesStandIn } from './kubernetesApi.js';
import { runCommandRoutes, type RunCommandSimulation } from './runCommandRoutes.js';
import { type RunningSimulator, type SimulatorOptions, startSimulator } from './simulatorServer.js';
import type { FleetSnapshot } from './snapshot.js';
import type { UpgradeSimulationOptions } from './upgradeSimulation.js';

export interface LocalAzureOptions {
  snapshot: FleetSnapshot;
  /** Start Azurite and configure the findings store on it. */
  withTables?: boolean;
  /** Reuse an Azurite that is already running (the test suite starts one per run). */
  tablesConnectionString?: string;
  pageSize?: number;
  /** Rows per Resource Graph page (the service's is 1,000). */
  graphPageSize?: number;
  /** Resource Graph's per-identity query quota (default: the service's 15 per 5 s). */
  graphQuota?: SimulatorOptions['graphQuota'];
  faults?: FaultPlan;
  extraSubscriptions?: string[];
  /** Clock and duration of simulated upgrades. */
  upgrades?: UpgradeSimulationOptions;
  /** More settings, such as table names or concurrency. */
  settings?: Record<string, string>;
}

export interface LocalAzure {
  simulator: RunningSimulator;
  azurite: RunningAzurite | undefined;
  /** The Kubernetes API stand-in, started when the snapshot has `kubernetes/` folders (then FLEETGUARD_IN_CLUSTER is on). */
  kubernetes: KubernetesStandIn | undefined;
  /** AKS runCommand (runCommandRoutes.ts), answered from the same Kubernetes objects: present with the stand-in. */
  runCommand: RunCommandSimulation | undefined;
  /** The app settings (what `local.settings.json` would hold) for this environment. */
  settings: Record<string, string>;
  config: FleetGuardConfig;
  close(): Promise<void>;
}

export async function startLocalAzure(options: LocalAzureOptions): Promise<LocalAzure> {
  const simulator = await startSimulator({
    snapshot: options.snapshot,
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
    ...(options.graphPageSize === undefined ? {} : { graphPageSize: options.graphPageSize }),
    ...(options.graphQuota === undefined ? {} : { graphQuota: options.graphQuota }),
    ...(options.faults === undefined ? {} : { faults: options.faults }),
    ...(options.extraSubscriptions === undefined ? {} : { extraSubscriptions: options.extraSubscriptions }),
    ...(options.upgrades === undefined ? {} : { upgrades: options.upgrades }),
  });
  // The same client code as live: listClusterUserCredential points at the stand-in, which accepts
  // only the token the local credential issues for the AKS Entra server application.
  const kubernetes =
    options.snapshot.kubernetes !== undefined && options.snapshot.kubernetes.size > 0
      ? await startKubernetesStandIn({ kubernetes: options.snapshot.kubernetes, token: simulatorToken(AKS_ENTRA_SCOPE) })
      : undefined;
  let runCommand: RunCommandSimulation | undefined;
  if (kubernetes !== undefined) {
    simulator.addRoutes(
      credentialRoutes(kubernetes, (subscriptionId, resourceGroup, name) => simulator.fleet.findCluster(subscriptionId, resourceGroup, name)),
    );
    const aksCommand = runCommandRoutes(simulator.fleet, options.snapshot.kubernetes!, {
      token: simulatorToken(AKS_ENTRA_SCOPE),
      forbidden: kubernetes.forbidden,
    });
    simulator.addRoutes(aksCommand.routes);
    runCommand = aksCommand.simulation;
  }
  const azurite = options.withTables === true && options.tablesConnectionString === undefined ? await startAzuriteTables() : undefined;
  const directory = mkdtempSync(path.join(tmpdir(), 'fleetguard-'));
  const caFile = path.join(directory, 'simulator-ca.pem');
  writeFileSync(caFile, simulator.caPem);
  const tables = options.tablesConnectionString ?? azurite?.connectionString;
  const settings: Record<string, string> = {
    FLEETGUARD_TARGET: 'simulator',
    // No App Service Authentication in front of a local app: say so explicitly (lib/app/httpApiGuard.ts).
    FLEETGUARD_LOCAL_DEVELOPMENT_AUTH: 'allow-unauthenticated-header',
    FLEETGUARD_ARM_ENDPOINT: simulator.url,
    FLEETGUARD_ARM_CA_FILE: caFile,
    ...(tables === undefined ? {} : { AzureWebJobsStorage: tables }),
    ...(kubernetes === undefined ? {} : { FLEETGUARD_IN_CLUSTER: 'on' }),
    ...options.settings,
  };
  return {
    simulator,
    azurite,
    kubernetes,
    runCommand,
    settings,
    config: parseConfig(settings),
    close: async () => {
      await simulator.close();
      await kubernetes?.close();
      await azurite?.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
