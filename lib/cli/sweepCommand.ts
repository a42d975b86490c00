import { createAzureClients, sweepDependencies } from '../app/clients.js';
import { getConfig } from '../config.js';
import { FleetGuardError } from '../errors.js';
import { withFrameworks } from '../rules/catalog.js';
import { runSweep } from '../sweep/runSweep.js';
import type { SweepResult } from '../sweep/sweepResult.js';
import { AUTHENTICATION_FIX, EXIT } from './exitCodes.js';
import type { LoadLocalModes } from './localModes.js';
import { localModeSettings } from './localModeSettings.js';
import { terminalProgress } from './progress.js';
import { formatSweepTable } from './sweepTable.js';

export interface SweepCommandOptions {
  snapshot?: string;
  demo?: boolean;
  json?: boolean;
  details?: boolean;
  subscription?: string[];
  concurrency?: number;
  verbose?: boolean;
}

export interface CommandOutput {
  stdout: (text: string) => void;
  width: number | undefined;
  /** One line of a warning or diagnostic (not the command's result); dropped when absent. */
  stderr?: (text: string) => void;
}

/** Exit status: 0 when the sweep ran (whatever it found, also partly), 1 when it could not sweep anything. */
function exitCodeOf(result: SweepResult): number {
  return result.status === 'failed' ? EXIT.failed : EXIT.ok;
}

function print(result: SweepResult, options: SweepCommandOptions, output: CommandOutput): void {
  output.stdout(
    options.json === true
      ? JSON.stringify({ ...result, findings: withFrameworks(result.findings) }, null, 2)
      : formatSweepTable(result, { details: options.details === true, ...(output.width === undefined ? {} : { width: output.width }) }),
  );
}

/**
 * Flags that cannot go together, as `--a and --b`: the first pair found. `--demo` sweeps its own
 * fleet with its own settings; `--details` adds a column to the tables, which `--json` has not.
 */
export function conflictingSweepFlags(options: SweepCommandOptions): string | undefined {
  const pairs: Array<[keyof SweepCommandOptions, keyof SweepCommandOptions]> = [
    ['snapshot', 'demo'],
    ['demo', 'subscription'],
    ['demo', 'concurrency'],
    ['json', 'details'],
  ];
  const flag = (name: string) => `--${name}`;
  const pair = pairs.find(([a, b]) => options[a] !== undefined && options[b] !== undefined);
  return pair === undefined ? undefined : `${flag(pair[0])} and ${flag(pair[1])} cannot be combined`;
}

export async function sweepCommand(
  options: SweepCommandOptions,
  output: CommandOutput,
  localModes: LoadLocalModes,
  env: Record<string, string | undefined> = {},
): Promise<number> {
  const conflict = conflictingSweepFlags(options);
  if (conflict !== undefined) throw new FleetGuardError('badInput', conflict);
  const warn = (line: string | undefined) => {
    if (line !== undefined) output.stderr?.(line);
  };

  if (options.demo === true) {
    warn(localModeSettings(env, 'demo').warning);
    // With --json the demo runs without its narrative and prints its first sweep as `sweep --json` does.
    const demo = await (await localModes()).runDemo(output, { narrate: options.json !== true });
    if (options.json === true) print(demo.sweep, options, output);
    return demo.exitCode;
  }
  const onProgress = terminalProgress();

  if (options.snapshot !== undefined) {
    const settings = localModeSettings(env, 'snapshot');
    warn(settings.warning);
    const local = await (await localModes()).startSnapshot(options.snapshot, settings.honoured);
    try {
      for (const line of local.warnings) warn(`fleetguard: warning: ${line}`);
      const deps = {
        ...sweepDependencies(createAzureClients(local.config), { withStore: false }),
        inCluster: local.inCluster,
        diagnostics: local.diagnostics,
      };
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
  throwIfNotSignedIn(result, options, output);
  print(result, options, output);
  return exitCodeOf(result);
}

/**
 * A sweep that failed because no credential could get a token reached nothing: it is one line on
 * stderr with the fix, not an empty table with each credential's answer (those with --verbose).
 */
function throwIfNotSignedIn(result: SweepResult, options: SweepCommandOptions, output: CommandOutput): void {
  if (result.status !== 'failed') return;
  const failures = result.errors.filter((error) => error.reason === 'authentication');
  if (failures.length === 0) return;
  if (options.verbose === true) {
    for (const failure of new Set(failures.map((error) => error.message))) output.stderr?.(failure);
  }
  throw new FleetGuardError('authentication', AUTHENTICATION_FIX);
}
