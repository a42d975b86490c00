/**
 * The local Azure (simulator and Azurite) in a child process, for benchmarks. Azure is remote in
 * production: serving 5,000 clusters of JSON and running Azurite's LokiJS in the sweep's own
 * process would charge their CPU and memory to the sweep. The parent talks to it over IPC.
 */
import type { FaultPlan } from '../../tooling/simulator/faults.js';
import { type GeneratedFleetOptions, generateFleet } from '../../tooling/simulator/fleetGenerator.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';

export interface LocalAzureProcessOptions {
  fleet: GeneratedFleetOptions;
  withTables: boolean;
  faults?: FaultPlan;
  pageSize?: number;
  settings?: Record<string, string>;
}

export type ParentMessage = { id: number } & (
  { kind: 'start'; options: LocalAzureProcessOptions } | { kind: 'stats' } | { kind: 'reset' } | { kind: 'faults'; plan: FaultPlan } | { kind: 'close' }
);

export interface ProcessStats {
  countsByRoute: Record<string, number>;
  total: number;
  maxInFlight: number;
  rssMb: number;
}

let local: LocalAzure | undefined;

async function handle(message: ParentMessage): Promise<unknown> {
  switch (message.kind) {
    case 'start': {
      const { fleet, withTables, faults, pageSize, settings } = message.options;
      local = await startLocalAzure({
        snapshot: generateFleet(fleet),
        withTables,
        ...(faults ? { faults } : {}),
        ...(pageSize === undefined ? {} : { pageSize }),
        ...(settings ? { settings } : {}),
      });
      return local.settings;
    }
    case 'stats': {
      const requests = local?.simulator.requests;
      const countsByRoute = requests?.countsByRoute() ?? {};
      const stats: ProcessStats = {
        countsByRoute,
        total: Object.values(countsByRoute).reduce((sum, count) => sum + count, 0),
        maxInFlight: requests?.maxInFlight ?? 0,
        rssMb: Math.round(process.memoryUsage().rss / 1024 / 1024),
      };
      return stats;
    }
    case 'reset':
      local?.simulator.requests.clear();
      return null;
    case 'faults':
      local?.simulator.faults.configure(message.plan);
      return null;
    case 'close':
      await local?.close();
      local = undefined;
      setImmediate(() => process.exit(0));
      return null;
  }
}

process.on('message', (message: ParentMessage) => {
  handle(message).then(
    (result) => process.send?.({ id: message.id, result }),
    (error: unknown) => process.send?.({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
