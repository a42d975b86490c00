/** The CLI's local modes on the local tooling (see localModes.ts): loaded by main.ts only for them. */
import { createAzureClients, sweepDependencies } from '../lib/app/clients.js';
import type { LocalModes } from '../lib/cli/localModes.js';
import { resourceKey } from '../lib/model/cluster.js';
import type { InClusterReader } from '../lib/model/inCluster.js';
import { gatherReportData } from '../lib/report/reportData.js';
import { runSweep } from '../lib/sweep/runSweep.js';
import { runDemo } from './demo/demo.js';
import { DEMO_WEB_DEV, rehearseDemoRollout, sampleFleetInCluster } from './demo/demoRollout.js';
import { rehearseRollout } from './local/rehearsal.js';
import { type LocalAzure, startLocalAzure } from './simulator/localAzure.js';
import { loadSnapshot } from './simulator/snapshot.js';
import { snapshotModeDiagnosticsReader } from './simulator/snapshotDiagnostics.js';
import { snapshotInClusterReader, type SnapshotKubernetes } from './simulator/snapshotKubernetes.js';

/**
 * Snapshot mode reads the captured clusters as live mode does: the app's Kubernetes adapter over
 * HTTPS to the stand-in that serves the `kubernetes/` folders (lib/azure/kubernetes.ts). A cluster
 * the snapshot did not capture is the snapshot's own coverage gap, named by the folder it lacks.
 */
export function snapshotModeInClusterReader(local: LocalAzure, folders: SnapshotKubernetes): InClusterReader {
  const gaps = snapshotInClusterReader(folders);
  const live = createAzureClients(local.config).inCluster;
  if (local.kubernetes === undefined || live === undefined) return gaps;
  return { read: (cluster) => (folders.has(resourceKey(cluster.id)) || cluster.aadManaged !== true ? live.read(cluster) : gaps.read(cluster)) };
}

export const LOCAL_MODES: LocalModes = {
  runDemo,
  async demoReportModel() {
    const rehearsal = await rehearseDemoRollout();
    try {
      const clients = createAzureClients(rehearsal.local.config);
      const deps = { ...sweepDependencies(clients), inCluster: sampleFleetInCluster() };
      await runSweep(deps, { subscriptions: [], concurrency: 8, trigger: 'demo' });
      rehearsal.local.simulator.fleet.updateClusterProperties(DEMO_WEB_DEV, (properties) => {
        properties['disableLocalAccounts'] = true;
      });
      await runSweep(deps, { subscriptions: [], concurrency: 8, trigger: 'demo' });
      return await gatherReportData(clients, new Date());
    } finally {
      await rehearsal.local.close();
    }
  },
  async startSnapshot(snapshotPath) {
    // Validate the whole snapshot before anything starts: a bad file is one clear error.
    const snapshot = loadSnapshot(snapshotPath);
    const local = await startLocalAzure({ snapshot });
    return {
      config: local.config,
      inCluster: snapshotModeInClusterReader(local, snapshot.kubernetes ?? new Map<string, never>()),
      diagnostics: snapshotModeDiagnosticsReader(local, snapshot),
      close: () => local.close(),
    };
  },
  rehearse: (snapshotPath, options, env) => rehearseRollout({ snapshot: loadSnapshot(snapshotPath), ...options }, env),
};
