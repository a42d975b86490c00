import { createAzureClients, sweepDependencies } from '../app/clients.js';
import { getConfig } from '../config.js';
import { startLocalAzure } from '../simulator/localAzure.js';
import { loadSnapshot } from '../simulator/snapshot.js';
import { runSweep } from '../sweep/runSweep.js';
import type { SweepResult } from '../sweep/sweepResult.js';
import { runDemo } from './demo.js';
import { terminalProgress } from './progress.js';
import { formatSweepTable } from './sweepTable.js';

export interface SweepCommandOptions {
  snapshot?: string;
  demo?: boolean;
  json?: boolean;
  details?: boolean;
  subscription?: string[];
  concurrency?: number;
}

export interface CommandOutput {
  stdout: (text: string) => void;
  width: number | undefined;
}

/** Exit status: 0 when the sweep ran (whatever it found, also partly), 1 when it could not sweep anything. */
function exitCodeOf(result: SweepResult): number {
  return result.status === 'failed' ? 1 : 0;
}

function print(result: SweepResult, options: SweepCommandOptions, output: CommandOutput): void {
  output.stdout(options.json === true ? JSON.stringify(result, null, 2) : formatSweepTable(result, { details: options.details === true, ...(output.width === undefined ? {} : { width: output.width }) }));
}

export async function sweepCommand(options: SweepCommandOptions, output: CommandOutput): Promise<number> {
  if (options.demo === true) return runDemo(output);
  const onProgress = terminalProgress();

  if (options.snapshot !== undefined) {
    // Validate the whole snapshot before anything starts: a bad file is one clear error.
    const snapshot = loadSnapshot(options.snapshot);
    const local = await startLocalAzure({ snapshot });
    try {
      const result = await runSweep(
        sweepDependencies(createAzureClients(local.config), { withStore: false }),
        { subscriptions: options.subscription ?? [], concurrency: options.concurrency ?? local.config.sweep.concurrency, trigger: 'cli', ...(onProgress ? { onProgress } : {}) },
      );
      print(result, options, output);
      return exitCodeOf(result);
    } finally {
      await local.close();
    }
  }

  const config = getConfig();
  const clients = createAzureClients(config);
  const result = await runSweep(
    sweepDependencies(clients),
    {
      subscriptions: options.subscription ?? config.subscriptions,
      concurrency: options.concurrency ?? config.sweep.concurrency,
      trigger: 'cli',
      ...(onProgress ? { onProgress } : {}),
    },
  );
  print(result, options, output);
  return exitCodeOf(result);
}
