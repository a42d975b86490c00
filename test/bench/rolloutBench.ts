/**
 * `npm run bench`: a rollout rehearsal over a generated fleet, waves by the `ring` tag, on the local
 * durable host with a virtual clock. Reports where the time goes (orchestrator replays versus the
 * rest), how large the histories grow, and the work done per cluster. A script that prints figures,
 * not a test.
 *
 *   node dist/test/bench/rolloutBench.js [--clusters 1000] [--waves 4] [--max-parallel 25] [--soak-minutes 10] [--subscriptions 10] [--locations 4]
 *
 * `--waves` sets how many ring values the fleet uses (clusters get `ring = index % waves`).
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';

import { rehearseRollout } from '../../tooling/local/rehearsal.js';
import { generateFleet } from '../../tooling/simulator/fleetGenerator.js';
import type { FleetSnapshot, JsonObject } from '../../tooling/simulator/snapshot.js';

const { values } = parseArgs({
  options: {
    clusters: { type: 'string', default: '1000' },
    waves: { type: 'string', default: '4' },
    'max-parallel': { type: 'string', default: '25' },
    'soak-minutes': { type: 'string', default: '10' },
    subscriptions: { type: 'string', default: '10' },
    locations: { type: 'string', default: '4' },
  },
});
const clusters = Number(values.clusters);
const waves = Number(values.waves);
const maxParallel = Number(values['max-parallel']);
const soakMinutes = Number(values['soak-minutes']);

/** The generator rings clusters by `index % 4`; other wave counts re-tag them the same way. */
function fleet(): FleetSnapshot {
  const snapshot = generateFleet({ clusters, subscriptions: Number(values.subscriptions), locations: Number(values.locations) });
  snapshot.clusters.forEach((cluster, index) => {
    (cluster['tags'] as JsonObject)['ring'] = String(index % waves);
  });
  return snapshot;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

console.log(
  `# Rollout benchmark: ${clusters} clusters in ${waves} waves (maxParallel ${maxParallel}, soak ${soakMinutes} min, 10-minute upgrade operations), local durable host, virtual clock`,
);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${megabytes(totalmem())} RAM, Node ${process.version}`);

const started = performance.now();
const rehearsal = await rehearseRollout(
  {
    snapshot: fleet(),
    request: {
      target: '1.32',
      scope: {},
      waves: { byTag: 'ring' },
      waveSettings: { maxParallel, soakMinutes, requireApproval: false },
      upgradeType: 'Full',
      maxFailedClusters: 0,
      respectMaintenanceWindows: false,
      allowMultiMinorHops: true,
      dryRun: false,
    },
  },
  process.env,
);
const wallMs = performance.now() - started;
try {
  const { outcome, stats, host, local } = rehearsal;
  const byStatus: Record<string, number> = {};
  for (const cluster of outcome.waves.flatMap((wave) => wave.clusters)) byStatus[cluster.status] = (byStatus[cluster.status] ?? 0) + 1;
  const upgraded = byStatus['Upgraded'] ?? 0;
  const instances = host.listInstances();
  const largest = instances.reduce((best, instance) => (instance.historyLength > best.historyLength ? instance : best));
  const largestByOrchestrator: Record<string, number> = {};
  for (const instance of instances) largestByOrchestrator[instance.name] = Math.max(largestByOrchestrator[instance.name] ?? 0, instance.historyLength);
  const calls = local.simulator.requests.countsByRoute();
  const totalCalls = Object.values(calls).reduce((sum, count) => sum + count, 0);
  const writes = [...local.simulator.upgrades.writesByCluster.values()].reduce((sum, count) => sum + count, 0);

  console.log(`\nstatus ${outcome.status}; clusters by outcome ${JSON.stringify(byStatus)}; instances ${instances.length}`);
  console.log(`wall time (setup, planning and the rollout): ${(wallMs / 1000).toFixed(1)} s`);
  console.log(
    `orchestrator replay time in total: ${(host.replayMs / 1000).toFixed(2)} s over ${stats.replays} replays (${((100 * host.replayMs) / wallMs).toFixed(0)}% of wall time)`,
  );
  for (const [name, entry] of host.replaysByOrchestrator) {
    console.log(
      `  ${name}: ${entry.replays} replays, ${(entry.ms / 1000).toFixed(2)} s, ${entry.events} history events replayed (${(entry.events / entry.replays).toFixed(0)} per replay), largest history ${largestByOrchestrator[name] ?? 0}`,
    );
  }
  console.log(`largest history: ${largest.historyLength} events (${largest.name}, instance ${largest.instanceId})`);
  console.log(
    `activities: ${stats.activities} in total, ${(stats.activities / clusters).toFixed(1)} per cluster in the fleet, ${upgraded === 0 ? '-' : (stats.activities / upgraded).toFixed(1)} per upgraded cluster`,
  );
  console.log(`  by name: ${JSON.stringify(Object.fromEntries([...host.activitiesByName].sort(([, left], [, right]) => right - left)))}`);
  console.log(`HTTP calls to the simulator: ${totalCalls} (${(totalCalls / clusters).toFixed(1)} per cluster); upgrade writes ${writes}`);
  console.log(`  by route: ${JSON.stringify(Object.fromEntries(Object.entries(calls).sort(([, left], [, right]) => right - left)))}`);
  console.log(`virtual time: ${stats.virtualMinutes} minutes (${(stats.virtualMinutes / 60).toFixed(1)} h)`);
  console.log(`peak RSS of the process (simulator, Azurite, host and app together): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  await rehearsal.local.close();
}
