import { createAzureClients, sweepDependencies } from '../app/clients.js';
import { getConfig } from '../config.js';
import { FleetGuardError } from '../errors.js';
import type { Severity } from '../model/finding.js';
import { toSarif } from '../report/sarif.js';
import { ruleCatalog, withFrameworks } from '../rules/catalog.js';
import { runSweep } from '../sweep/runSweep.js';
import type { SweepResult } from '../sweep/sweepResult.js';
import { atOrAbove, chosenFormat, failOnStatus, findingsCsv, type OutputFormat } from './formats.js';
import type { LoadLocalModes } from './localModes.js';
import { terminalProgress } from './progress.js';
import { formatSweepTable } from './sweepTable.js';
import { packageVersion } from './version.js';

export interface SweepCommandOptions {
  snapshot?: string;
  demo?: boolean;
  json?: boolean;
  details?: boolean;
  subscription?: string[];
  concurrency?: number;
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
}

/**
 * Exit status: 0 when the sweep ran (whatever it found, also partly), 1 when it could not sweep
 * anything; with `--fail-on`, FAIL_ON_EXIT_CODE when it ran and found something at or above it.
 */
function exitCodeOf(result: SweepResult, options: SweepCommandOptions): number {
  return failOnStatus(result.findings, options.failOn, result.status === 'failed' ? 1 : 0);
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
}

export async function sweepCommand(options: SweepCommandOptions, output: CommandOutput, localModes: LoadLocalModes): Promise<number> {
  if (options.demo === true) {
    const given = [options.format && '--format', options.minSeverity && '--min-severity', options.failOn && '--fail-on'].filter(Boolean);
    if (given.length > 0) throw new FleetGuardError('badInput', `${given.join(', ')}: not available with --demo (the demo prints its own summary)`);
    return (await localModes()).runDemo(output);
  }
  chosenFormat(options);
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
  print(result, options, output);
  return exitCodeOf(result, options);
}
