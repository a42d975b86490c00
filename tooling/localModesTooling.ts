/** The CLI's local modes on the local tooling (see localModes.ts): loaded by main.ts only for them. */
import { createAzureClients } from '../lib/app/clients.js';
import type { LocalModes } from '../lib/cli/localModes.js';
import { resourceKey } from '../lib/model/cluster.js';
import type { InClusterReader } from '../lib/model/inCluster.js';
import type { FleetReportModel } from '../lib/report/fleetReport.js';
import { gatherReportData } from '../lib/report/reportData.js';
import { runDemo } from './demo/demo.js';
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
    // The demo itself, silently, read at its end: the report shows the state `sweep --demo` ends in.
    let model: FleetReportModel | undefined;
    await runDemo(
      { stdout: () => undefined, width: undefined },
      {
        narrate: false,
        atEnd: async (sources) => {
          model = await gatherReportData(sources, new Date(), { storage: 'the demo (in-process Azurite)' });
        },
      },
    );
    if (model === undefined) throw new Error('the demo ended before its report could be read');
    return model;
  },
  async startSnapshot(snapshotPath, settings = {}, options = {}) {
    // Validate the whole snapshot before anything starts: a bad file is one clear error.
    const snapshot = loadSnapshot(snapshotPath);
    const local = await startLocalAzure({ snapshot, settings, ...(options.withTables === true ? { withTables: true } : {}) });
    return {
      config: local.config,
      inCluster: snapshotModeInClusterReader(local, snapshot.kubernetes ?? new Map<string, never>()),
      diagnostics: snapshotModeDiagnosticsReader(local, snapshot),
      warnings: snapshot.warnings ?? [],
      close: () => local.close(),
    };
  },
  rehearse: (snapshotPath, options, env) => rehearseRollout({ snapshot: loadSnapshot(snapshotPath), ...options }, env),
};
