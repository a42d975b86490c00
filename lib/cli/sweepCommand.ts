import { createAzureClients, sweepDependencies } from '../app/clients.js';
import { getConfig } from '../config.js';
import { withFrameworks } from '../rules/catalog.js';
import { runSweep } from '../sweep/runSweep.js';
import type { SweepResult } from '../sweep/sweepResult.js';
import type { LoadLocalModes } from './localModes.js';
import { terminalProgress } from './progress.js';
import { formatSweepTable } from './sweepTable.js';
import { painter } from './terminalStyle.js';

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
  /** Colour the human output (terminalStyle.ts decides: NO_COLOR, FORCE_COLOR, a terminal). */
  colour?: boolean;
}

/** Exit status: 0 when the sweep ran (whatever it found, also partly), 1 when it could not sweep anything. */
function exitCodeOf(result: SweepResult): number {
  return result.status === 'failed' ? 1 : 0;
}

function print(result: SweepResult, options: SweepCommandOptions, output: CommandOutput): void {
  output.stdout(
    options.json === true
      ? JSON.stringify({ ...result, findings: withFrameworks(result.findings) }, null, 2)
      : formatSweepTable(result, {
          details: options.details === true,
          paint: painter(output.colour === true),
          ...(output.width === undefined ? {} : { width: output.width }),
        }),
  );
}

export async function sweepCommand(options: SweepCommandOptions, output: CommandOutput, localModes: LoadLocalModes): Promise<number> {
  if (options.demo === true) return (await localModes()).runDemo(output);
  const onProgress = terminalProgress();

  if (options.snapshot !== undefined) {
    const local = await (await localModes()).startSnapshot(options.snapshot);
    try {
      const deps = { ...sweepDependencies(createAzureClients(local.config), { withStore: false }), inCluster: local.inCluster };
      const result = await runSweep(deps, {
        subscriptions: options.subscription ?? [],
        concurrency: options.concurrency ?? local.config.sweep.concurrency,
        trigger: 'cli',
        ...(onProgress ? { onProgress } : {}),
      });
      print(result, options, output);
      return exitCodeOf(result);
    } finally {
      await local.close();
    }
  }

  const config = getConfig();
  const clients = createAzureClients(config);
  const result = await runSweep(sweepDependencies(clients), {
    subscriptions: options.subscription ?? config.subscriptions,
    concurrency: options.concurrency ?? config.sweep.concurrency,
    trigger: 'cli',
    ...(onProgress ? { onProgress } : {}),
  });
  print(result, options, output);
  return exitCodeOf(result);
}
