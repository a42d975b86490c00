/**
 * `npm run bench`: the inventory alone (clusters and location versions), through Azure Resource
 * Graph and through per-subscription ARM listing, over fleets of several shapes, with the simulator
 * (in a child process) adding latency to every call. Shows where Resource Graph wins, which is why
 * it is the default. A script that prints figures, not a test.
 *
 *   node dist/test/bench/inventoryBench.js [--latency 50] [--concurrency 8]
 */
import { parseArgs } from 'node:util';

import { createAzureClients } from '../../lib/app/clients.js';
import { collectInventory } from '../../lib/sweep/inventory.js';
import { startLocalAzureProcess } from './remoteLocalAzure.js';

const { values } = parseArgs({ options: { latency: { type: 'string', default: '50' }, concurrency: { type: 'string', default: '8' } } });
const latencyMs = Number(values.latency);
const concurrency = Number(values.concurrency);

const SHAPES = [
  { clusters: 20, subscriptions: 1, locations: 2 },
  { clusters: 60, subscriptions: 6, locations: 3 },
  { clusters: 500, subscriptions: 20, locations: 5 },
  { clusters: 5000, subscriptions: 100, locations: 10 },
  { clusters: 20000, subscriptions: 400, locations: 12 },
];

async function measure(shape: (typeof SHAPES)[number], source: 'resourceGraph' | 'arm'): Promise<{ ms: number; calls: number; clusters: number }> {
  const local = await startLocalAzureProcess({
    fleet: { ...shape, workspaces: 1 },
    withTables: false,
    faults: { routes: { '*': { latencyMs } } },
    settings: { FLEETGUARD_INVENTORY_SOURCE: source },
  });
  try {
    const clients = createAzureClients(local.config);
    const subscriptions = await clients.fleet.listSubscriptionIds();
    // Warm up the SDK imports with one small call, then measure the inventory alone.
    await clients.fleet.listKubernetesVersions(subscriptions[0] ?? '', 'northeurope').catch(() => undefined);
    await local.reset();
    const started = performance.now();
    const inventory = await collectInventory(clients.fleet, { subscriptions, concurrency });
    const ms = performance.now() - started;
    if (inventory.errors.length > 0) throw new Error(`inventory errors: ${JSON.stringify(inventory.errors.slice(0, 3))}`);
    return { ms, calls: (await local.stats()).total, clusters: inventory.clusters.length };
  } finally {
    await local.close();
  }
}

console.log(`# Inventory benchmark: Resource Graph vs per-subscription ARM listing, ${latencyMs} ms per call, concurrency ${concurrency}`);
console.log('| clusters | subscriptions | locations | Resource Graph: ms / calls | ARM listing: ms / calls | Resource Graph faster by |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const shape of SHAPES) {
  const graph = await measure(shape, 'resourceGraph');
  const arm = await measure(shape, 'arm');
  if (graph.clusters !== arm.clusters) throw new Error(`different inventories: ${graph.clusters} vs ${arm.clusters} clusters`);
  console.log(
    `| ${shape.clusters} | ${shape.subscriptions} | ${shape.locations} | ${graph.ms.toFixed(0)} / ${graph.calls} | ${arm.ms.toFixed(0)} / ${arm.calls} | ${(arm.ms / graph.ms).toFixed(2)}× |`,
  );
}
