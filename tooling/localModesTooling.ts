/** The CLI's local modes on the local tooling (see localModes.ts): loaded by main.ts only for them. */
import { createAzureClients, sweepDependencies } from '../lib/app/clients.js';
import type { LocalModes } from '../lib/cli/localModes.js';
import { gatherReportData } from '../lib/report/reportData.js';
import { runSweep } from '../lib/sweep/runSweep.js';
import { runDemo } from './demo/demo.js';
import { DEMO_WEB_DEV, rehearseDemoRollout, sampleFleetInCluster } from './demo/demoRollout.js';
import { rehearseRollout } from './local/rehearsal.js';
import { startLocalAzure } from './simulator/localAzure.js';
import { loadSnapshot } from './simulator/snapshot.js';
import { snapshotInClusterReader } from './simulator/snapshotKubernetes.js';

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
    return { config: local.config, inCluster: snapshotInClusterReader(snapshot.kubernetes ?? new Map<string, never>()), close: () => local.close() };
  },
  rehearse: (snapshotPath, options, env) => rehearseRollout({ snapshot: loadSnapshot(snapshotPath), ...options }, env),
};
