import { createAzureClients, sweepDependencies } from '../app/clients.js';
import { getConfig } from '../config.js';
import { FleetGuardError } from '../errors.js';
import type { Severity } from '../model/finding.js';
import { toSarif } from '../report/sarif.js';
import { ruleCatalog, withFrameworks } from '../rules/catalog.js';
import { runSweep } from '../sweep/runSweep.js';
import type { SweepResult } from '../sweep/sweepResult.js';
import { AUTHENTICATION_FIX, EXIT } from './exitCodes.js';
import { atOrAbove, chosenFormat, failOnStatus, findingsCsv, type OutputFormat } from './formats.js';
import type { LoadLocalModes } from './localModes.js';
import { localModeSettings } from './localModeSettings.js';
import { terminalProgress } from './progress.js';
import { formatSweepTable } from './sweepTable.js';
import { painter } from './terminalStyle.js';
import { packageVersion } from './version.js';

export interface SweepCommandOptions {
  snapshot?: string;
  demo?: boolean;
  json?: boolean;
  details?: boolean;
  subscription?: string[];
  concurrency?: number;
  verbose?: boolean;
  /** table (default), json (= --json), csv or sarif. */
  format?: OutputFormat;
  /** Print only findings at or above this severity. */
  minSeverity?: Severity;
  /** Exit FAIL_ON_EXIT_CODE (lib/cli/formats.ts) when a finding at or above this severity exists. */
  failOn?: Severity;
}

export interface CommandOutput {
  stdout: (text: string) => void;
  width: number | undefined;
  /** One line of a warning or diagnostic (not the command's result); dropped when absent. */
  stderr?: (text: string) => void;
  /** Colour the human output (terminalStyle.ts decides: NO_COLOR, FORCE_COLOR, a terminal). */
  colour?: boolean;
}

/**
 * Exit status: 0 when the sweep ran (whatever it found, also partly), 1 when it could not sweep
 * anything; with `--fail-on`, FAIL_ON_EXIT_CODE when it ran and found something at or above it.
 */
function exitCodeOf(result: SweepResult, options: SweepCommandOptions): number {
  return failOnStatus(result.findings, options.failOn, result.status === 'failed' ? EXIT.failed : EXIT.ok);
}

function print(result: SweepResult, options: SweepCommandOptions, output: CommandOutput): void {
  const findings = atOrAbove(result.findings, options.minSeverity);
  switch (chosenFormat(options)) {
    case 'json':
      // CONTRACTS.md §3: the same document with or without --min-severity, only fewer findings.
      output.stdout(JSON.stringify({ ...result, findings: withFrameworks(findings) }, null, 2));
      return;
    case 'csv':
      // Every record ends with CRLF (RFC 4180); output.stdout adds the final LF.
      output.stdout(findingsCsv(findings).slice(0, -1));
      return;
    case 'sarif':
      output.stdout(
        JSON.stringify(
          toSarif({
            findings,
            rules: ruleCatalog(),
            version: packageVersion(),
            executionSuccessful: result.status !== 'failed',
            problems: result.errors.map((error) => `${error.scope} ${error.target}: ${error.message}`),
          }),
          null,
          2,
        ),
      );
      return;
    case 'table':
      output.stdout(
        formatSweepTable({ ...result, findings }, { details: options.details === true, ...(output.width === undefined ? {} : { width: output.width }) }),
      );
  }
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
  const format = chosenFormat(options);
  const warn = (line: string | undefined) => {
    if (line !== undefined) output.stderr?.(line);
  };

  if (options.demo === true) {
    warn(localModeSettings(env, 'demo').warning);
    // With a machine format the demo runs without its narrative and prints its first sweep as
    // `sweep --format` does; --min-severity and --fail-on apply to that sweep.
    const quiet = format !== 'table';
    const demo = await (await localModes()).runDemo(output, { narrate: !quiet });
    if (quiet) print(demo.sweep, options, output);
    return failOnStatus(demo.sweep.findings, options.failOn, demo.exitCode);
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
      return exitCodeOf(result, options);
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
  return exitCodeOf(result, options);
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
