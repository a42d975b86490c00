#!/usr/bin/env node
/**
 * `fleetguard`: the command line of aks-fleet-guard (CONTRACTS.md §3). Every command's name and
 * flags are registered up front, but its implementation is imported only when it runs: `sweep` and
 * `rollout` pull in the Azure SDKs, the simulator and Azurite, which `--help` or a live `rollouts`
 * command must not pay for at every start.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { Command, InvalidArgumentError } from 'commander';

import { processEnvironment } from '../config.js';
import type { Severity } from '../model/finding.js';
import { errorLine, exitCodeOfError } from './exitCodes.js';
import type { FindingsListOptions, FindingStatusFilter } from './findingsCommand.js';
import { inFlagTerms } from './flagNames.js';
import { FAIL_ON_EXIT_CODE, outputFormatOf, severityOf } from './formats.js';
import { annotateHelp } from './helpTexts.js';
import type { LoadLocalModes } from './localModes.js';
import type { ReportCommandOptions } from './reportCommand.js';
import type { RolloutCommandOptions } from './rolloutCommand.js';
import type { CreateSilenceOptions, ListSilencesOptions } from './silenceCommand.js';
import type { SnapshotCaptureOptions } from './snapshotCommand.js';
import type { CommandOutput, SweepCommandOptions } from './sweepCommand.js';
import { colourEnabled } from './terminalStyle.js';
import { packageVersion } from './version.js';

/** Where a run of the program writes; the process's streams unless a test runs it in process. */
export interface ProgramIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  width: number | undefined;
  env: Record<string, string | undefined>;
}

const processIo = (): ProgramIo => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  width: process.stdout.columns,
  env: processEnvironment(),
});

/** The local tooling, for the local modes only (the other commands never load the simulator). */
const localModes: LoadLocalModes = async () => (await import('../../tooling/localModesTooling.js')).LOCAL_MODES;

const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function positiveInteger(max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    return Number(value);
  };
}

function collectSubscription(value: string, previous: string[] | undefined): string[] {
  if (!SUBSCRIPTION_ID.test(value)) throw new InvalidArgumentError(`'${value}' is not a subscription id (GUID)`);
  return [...(previous ?? []), value.toLowerCase()];
}

export function buildProgram(onExit: (code: number) => void, io: ProgramIo = processIo()): Command {
  const program = new Command()
    .name('fleetguard')
    .description('Compliance sweeps and progressive upgrades for fleets of AKS clusters')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .version(packageVersion(), '-V, --version', 'print the fleetguard version (package.json) and exit');
  // stdout's width is known only on a terminal: it is also the terminal test for colour.
  const output: CommandOutput = { stdout: (text: string) => io.stdout(`${text}\n`), width: io.width, colour: colourEnabled(io.env, io.width !== undefined) };

  program
    .command('sweep')
    .description('Sweep every AKS cluster for posture and version findings')
    .option('--snapshot <dir>', 'sweep a fleet snapshot folder (CONTRACTS.md §2) through the local simulator')
    .option('--demo', 'run the whole pipeline on the built-in sample fleet (simulator, in-process Azurite)')
    .option('--json', 'print one JSON document instead of tables (the same as --format json)')
    .option('--format <format>', 'output: table, json, csv or sarif (SARIF 2.1.0, for GitHub code scanning) (default: table)', outputFormatOf)
    .option('--min-severity <level>', 'print only findings at or above: critical, high, medium, low, info (default: all)', severityOf)
    .option('--fail-on <level>', `exit ${FAIL_ON_EXIT_CODE} when a finding at or above this severity exists (default: exit 0 whatever is found)`, severityOf)
    .option('--details', 'add what to change for each finding to the tables')
    .option('--subscription <id>', 'subscription to sweep (repeatable); default: configured or all visible', collectSubscription)
    .option('--concurrency <n>', 'concurrent Azure calls per stage', positiveInteger(64))
    .option('--verbose', 'when no credential can sign in, show what each credential of the chain answered')
    .action(async (options: SweepCommandOptions) => {
      const { sweepCommand } = await import('./sweepCommand.js');
      onExit(await sweepCommand(options, { ...output, stderr: (text: string) => io.stderr(`${text}\n`) }, localModes, io.env));
    });
  program
    .command('rollout')
    .description('Rehearse a progressive Kubernetes upgrade on a fleet snapshot (local durable host, virtual clock)')
    .requiredOption('--snapshot <dir>', 'fleet snapshot folder (CONTRACTS.md §2)')
    .requiredOption('--target <version>', 'exact patch (1.32.4) or minor (1.32: newest patch per location)')
    .requiredOption('--waves-by-tag <tag>', 'tag whose values (ascending) are the waves')
    .option('--max-parallel <n>', 'clusters upgraded at once per wave', positiveInteger(100))
    .option('--soak-minutes <m>', 'soak after each cluster, with health measurements', nonNegativeInteger(1440))
    .option('--max-failed <n>', 'failed clusters tolerated before halting', nonNegativeInteger(10_000))
    .option('--inject-anomaly <cluster>', "make this cluster's health detections spike after its upgrade (repeatable)", collectList)
    .option('--inject-failure <cluster>', "make this cluster's upgrade fail (repeatable)", collectList)
    .option('--allow-multi-minor-hops', 'plan consecutive minor upgrades for targets more than one minor away')
    .option('--upgrade-type <type>', 'Full, ControlPlaneOnly or NodeImageOnly', upgradeTypeOf)
    .option('--allow-empty', 'exit 0 even when no cluster would be upgraded (all excluded or skipped)')
    .option('--json', 'one JSON document (CONTRACTS.md §4)')
    .action(async (options: RolloutCommandOptions) => {
      const { rolloutCommand } = await import('./rolloutCommand.js');
      onExit(await rolloutCommand(options, output, io.env, localModes, (line) => io.stderr(`${line}\n`)));
    });
  program
    .command('report')
    .description('Write the fleet report: one self-contained HTML page (posture heatmap, compliance over time, findings, versions, rollouts)')
    .requiredOption('--out <file>', 'where to write it, e.g. report.html')
    .option('--demo', 'the state `sweep --demo` ends in (its sweeps and rehearsal, on in-process Azurite)')
    .option('--snapshot <dir>', 'sweep a fleet snapshot folder (CONTRACTS.md §2) in this process and report on it; no storage needed')
    .option('--framework <name>', 'group the "by framework" section by cis-aks (default), kubescape or nsa')
    .action(async (options: ReportCommandOptions) => {
      const { reportCommand } = await import('./reportCommand.js');
      onExit(await reportCommand(options, { ...output, stderr: (text: string) => io.stderr(`${text}\n`) }, localModes, io.env));
    });
  program
    .command('snapshot')
    .description('Fleet snapshot folders (CONTRACTS.md §2, §5)')
    .command('capture')
    .description(
      'Capture the fleet the configuration points at into a snapshot folder: ARM bodies as returned, versions, policy states, log results, Kubernetes objects where reachable',
    )
    .requiredOption('--out <dir>', 'the folder to write (must be empty unless --force)')
    .option('--subscription <id>', 'subscription to capture (repeatable); default: configured or all visible', collectSubscription)
    .option('--force', "write into a non-empty folder, replacing the snapshot's own files in it")
    .option('--concurrency <n>', 'concurrent Azure calls', positiveInteger(64))
    .action(async (options: SnapshotCaptureOptions) => {
      const { snapshotCaptureCommand } = await import('./snapshotCommand.js');
      onExit(await snapshotCaptureCommand(options, output, io.env));
    });
  const findings = program.command('findings').description('Findings the sweeps stored, from the configured storage (the same settings as report)');
  findings
    .command('list')
    .description('List stored findings, worst first')
    .option('--status <status>', 'open, resolved or silenced (open and matched by an active silence) (default: all)', findingStatusOf)
    .option('--severity <level>', 'only this severity (repeatable): critical, high, medium, low, info (default: all)', collectSeverity)
    .option('--min-severity <level>', 'only findings at or above this severity (default: all)', severityOf)
    .option('--rule <ruleId>', 'only this rule (repeatable)', collectList)
    .option('--cluster <nameOrId>', 'only this cluster (name or ARM id)')
    .option('--tag <key=value>', 'only clusters with this tag (repeatable, all must match)', collectTag)
    .option('--since <when>', 'only findings opened, reopened or resolved since: a duration back (7d, 12h) or an ISO time (default: any time)')
    .option('--format <format>', 'output: table, json, csv or sarif (default: table)', outputFormatOf)
    .option('--json', 'one JSON document (the same as --format json)')
    .option('--fail-on <level>', `exit ${FAIL_ON_EXIT_CODE} when an open finding listed is at or above this severity (default: exit 0)`, severityOf)
    .action(async (options: FindingsListOptions) => {
      const { findingsListCommand } = await import('./findingsCommand.js');
      onExit(await findingsListCommand(options, output));
    });
  findings
    .command('show <fingerprint>')
    .description('One finding with its history (first seen, reopened, resolved) and the silences that match it; the fingerprint or its first 8+ characters')
    .option('--json', 'one JSON document')
    .action(async (fingerprint: string, options: { json?: boolean }) => {
      const { findingsShowCommand } = await import('./findingsCommand.js');
      onExit(await findingsShowCommand(fingerprint, options, output));
    });
  const silence = program.command('silence').description('Hold back alerts for findings that match, for a while');
  silence
    .command('create')
    .description('Create a silence (at least one of --rule, --cluster, --tag)')
    .option('--rule <ruleId>', 'rule id of the catalog, e.g. AKS-LOCAL-ACCOUNTS (repeatable: one silence per rule)', collectList)
    .option('--cluster <nameOrId>', 'cluster name or ARM id')
    .option('--tag <key=value>', 'cluster tag (repeatable)', collectTag)
    .requiredOption('--duration <duration>', 'how long, e.g. 2h or 3d; at most FLEETGUARD_MAX_SILENCE_DURATION (default 30d)')
    .requiredOption('--author <name>', 'who creates it')
    .requiredOption('--comment <text>', 'why')
    .action(async (options: CreateSilenceOptions) => {
      const { createSilenceCommand } = await import('./silenceCommand.js');
      onExit(await createSilenceCommand(options, output));
    });
  silence
    .command('list')
    .description('List silences: active first, then pending and expired')
    .option('--json', 'one JSON document (the same as --format json)')
    .option('--format <format>', 'table or json (default: table)', silenceListFormatOf)
    .action(async (options: ListSilencesOptions) => {
      const { listSilencesCommand } = await import('./silenceCommand.js');
      onExit(await listSilencesCommand(options, output));
    });
  silence
    .command('expire <id>')
    .requiredOption('--author <name>', 'who expires it')
    .action(async (id: string, options: { author: string }) => {
      const { expireSilenceCommand } = await import('./silenceCommand.js');
      onExit(await expireSilenceCommand(id, options, output));
    });
  return program;
}

/**
 * Adds `fleetguard rollouts ...` (live rollouts on the deployed app, lib/cli/rolloutsCli.ts) when
 * the command line asks for it, or for help that lists every command. Its module is the light HTTP
 * client only, but it is still left out of `sweep` and `rollout` runs.
 */
async function withRolloutsCommands(program: Command, argv: string[], onExit: (code: number) => void): Promise<Command> {
  const first = argv.slice(2).find((arg) => !arg.startsWith('-'));
  if (first === undefined || first === 'rollouts' || first === 'help' || !program.commands.some((command) => command.name() === first)) {
    const { registerRolloutsCommands } = await import('./rolloutsCli.js');
    registerRolloutsCommands(program, onExit);
  }
  return program;
}

function findingStatusOf(value: string): FindingStatusFilter {
  if (value !== 'open' && value !== 'resolved' && value !== 'silenced') throw new InvalidArgumentError('expected open, resolved or silenced');
  return value;
}

function collectSeverity(value: string, previous: Severity[] | undefined): Severity[] {
  return [...(previous ?? []), severityOf(value)];
}

function silenceListFormatOf(value: string): 'table' | 'json' {
  if (value !== 'table' && value !== 'json') throw new InvalidArgumentError('expected table or json');
  return value;
}

function collectList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function nonNegativeInteger(max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) > max) throw new InvalidArgumentError(`expected a whole number from 0 to ${max}`);
    return Number(value);
  };
}

function upgradeTypeOf(value: string): 'Full' | 'ControlPlaneOnly' | 'NodeImageOnly' {
  if (value !== 'Full' && value !== 'ControlPlaneOnly' && value !== 'NodeImageOnly')
    throw new InvalidArgumentError('expected Full, ControlPlaneOnly or NodeImageOnly');
  return value;
}

function collectTag(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const index = value.indexOf('=');
  if (index <= 0) throw new InvalidArgumentError(`'${value}' is not key=value`);
  return { ...(previous ?? {}), [value.slice(0, index)]: value.slice(index + 1) };
}

/** Runs the command line `argv` (node, script, args...) and answers its exit status. */
export async function main(argv: string[], io: ProgramIo = processIo()): Promise<number> {
  let exitCode = 0;
  const onExit = (code: number) => {
    exitCode = code;
  };
  try {
    const program = await withRolloutsCommands(buildProgram(onExit, io), argv, onExit);
    annotateHelp(program);
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      // Commander already printed help or the usage error.
      return code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help' ? 0 : 2;
    }
    // Errors of the rehearsal and the live rollouts name the API's request fields; both commands set them by flags.
    io.stderr(`${inFlagTerms(errorLine(error))}\n`);
    return exitCodeOfError(error);
  }
}

/** True when this module is the program Node runs (also through npm's `fleetguard` symlink), not an import (tests). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = await main(process.argv);
