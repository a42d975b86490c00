/**
 * `fleetguard snapshot capture --out DIR [--subscription ID]...`: a snapshot folder (CONTRACTS.md
 * §2, §5) of the fleet the configuration points at, through the same SDK clients as a sweep. The
 * folder is refused when it holds anything unless `--force` (which replaces only the snapshot's own
 * files); what could not be captured is in `capture-report.json` and the exit status.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { createAzureClients } from '../app/clients.js';
import { createCredential } from '../azure/credential.js';
import { parseConfig } from '../config.js';
import { DETECTIONS } from '../detections/catalog.js';
import { FleetGuardError } from '../errors.js';
import type { InClusterReader } from '../model/inCluster.js';
import { type CaptureReport, captureSnapshot, type SnapshotWriter } from '../snapshot/capture.js';
import { terminalProgress } from './progress.js';
import type { CommandOutput } from './sweepCommand.js';

export interface SnapshotCaptureOptions {
  out: string;
  subscription?: string[];
  force?: boolean;
  concurrency?: number;
}

/** Exit status: 0 complete, 3 partial (named in capture-report.json), 1 nothing could be captured. */
export const CAPTURE_EXIT_CODES = { complete: 0, partial: 3, failed: 1 } as const;

/** What a capture writes at the top of the folder: all that `--force` removes. */
const SNAPSHOT_ENTRIES = [
  'managedClusters.json',
  'kubernetesVersions',
  'policyStates.json',
  'policyDefinitions.json',
  'logs',
  'kubernetes',
  'capture-report.json',
];

function prepareFolder(out: string, force: boolean): void {
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new FleetGuardError('badInput', `--out ${out}: exists and is not a folder`);
    const entries = readdirSync(out);
    if (entries.length > 0 && !force) {
      throw new FleetGuardError(
        'badInput',
        `--out ${out}: the folder is not empty (${entries.length} entries); choose an empty one, or --force to replace its snapshot files`,
      );
    }
    for (const entry of SNAPSHOT_ENTRIES) rmSync(path.join(out, entry), { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true });
}

/** Writes pretty-printed JSON under `root`, refusing any path that would leave it. */
export function folderWriter(root: string): SnapshotWriter {
  const base = path.resolve(root);
  return {
    writeJson(relativePath, body) {
      const file = path.resolve(base, ...relativePath.split('/'));
      if (!file.startsWith(`${base}${path.sep}`)) return Promise.reject(new FleetGuardError('badInput', `${relativePath}: outside the snapshot folder`));
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(body, null, 1)}\n`);
      return Promise.resolve();
    },
  };
}

function summary(report: CaptureReport, out: string): string {
  const clusters = report.subscriptions.reduce((total, entry) => total + entry.clusters, 0);
  const checked = report.kubernetes.filter((entry) => entry.state === 'checked').length;
  const lines = [
    `Snapshot ${report.status}: ${out}`,
    `  ${clusters} clusters in ${report.subscriptions.filter((entry) => entry.state === 'captured').length}/${report.subscriptions.length} subscriptions; ` +
      `${report.kubernetesVersions.length} locations; ${report.policyStates.reduce((total, entry) => total + entry.states, 0)} policy states; ` +
      `${new Set(report.logs.map((entry) => entry.workspace)).size} workspaces; Kubernetes objects of ${checked}/${report.kubernetes.length} clusters`,
  ];
  for (const entry of report.subscriptions) if (entry.state === 'failed') lines.push(`! subscription ${entry.subscriptionId}: ${entry.message}`);
  for (const entry of report.kubernetesVersions) if (entry.state === 'failed') lines.push(`! versions of ${entry.location}: ${entry.message}`);
  for (const entry of report.policyStates) if (entry.state === 'failed') lines.push(`! policy states of ${entry.subscriptionId}: ${entry.message}`);
  for (const entry of report.logs)
    if (entry.state !== 'complete') lines.push(`! ${entry.detectionId} in ${entry.workspace}: ${entry.state} (${entry.message ?? ''})`);
  for (const entry of report.kubernetes)
    if (entry.state !== 'checked') lines.push(`- not in-cluster: ${entry.clusterId}: ${entry.state} (${entry.reason ?? ''})`);
  lines.push(`  details: ${path.join(out, 'capture-report.json')}`);
  return lines.join('\n');
}

export async function snapshotCaptureCommand(
  options: SnapshotCaptureOptions,
  output: CommandOutput,
  env: Record<string, string | undefined>,
  /** The in-cluster reader; by default the composition root's, when it has one. */
  inClusterOverride?: InClusterReader,
  /** Progress of the calls; by default a line on stderr when it is a terminal (never in pipes or CI logs). */
  onProgress = terminalProgress(),
): Promise<number> {
  const config = parseConfig(env);
  prepareFolder(options.out, options.force === true);
  const clients = createAzureClients(config);
  const retry = { maxRetries: config.http.maxRetries };
  const { SnapshotBodiesAdapter } = await import('../azure/snapshotBodies.js');
  const bodies = new SnapshotBodiesAdapter(createCredential(config.azure), config.azure, config.logs.endpoint, retry, config.logs.queryTimeoutSeconds);
  // The composition root has a live Kubernetes API reader only with FLEETGUARD_IN_CLUSTER=on; without
  // it every cluster is reported as not captured in-cluster rather than failing the capture.
  const inCluster = inClusterOverride ?? clients.inCluster;
  const report = await captureSnapshot(
    {
      source: {
        listSubscriptionIds: () => clients.fleet.listSubscriptionIds(),
        listClusters: (subscriptionId) => bodies.listClusters(subscriptionId),
        kubernetesVersions: (subscriptionId, location) => bodies.kubernetesVersions(subscriptionId, location),
        policyStates: (subscriptionId) => bodies.policyStates(subscriptionId),
        queryLogs: (workspace, query, lookbackMinutes) => bodies.queryLogs(workspace, query, lookbackMinutes),
        policyDefinitionNames: (ids, subscriptionIds) => clients.policy.listPolicyDefinitionNames?.(ids, subscriptionIds) ?? Promise.resolve([]),
      },
      inCluster,
      ...(onProgress === undefined ? {} : { onProgress }),
      writer: folderWriter(options.out),
      detections: DETECTIONS,
      now: () => new Date(),
    },
    {
      subscriptions: options.subscription ?? config.subscriptions,
      configuredWorkspaces: config.logs.workspaces,
      lookbackMinutes: config.logs.lookbackMinutes,
      thresholds: config.logs.thresholds,
      concurrency: options.concurrency ?? config.sweep.concurrency,
    },
  );
  output.stdout(summary(report, options.out));
  return CAPTURE_EXIT_CODES[report.status];
}
