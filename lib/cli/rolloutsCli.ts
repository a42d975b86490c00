/**
 * Registers `fleetguard rollouts ...` on the program (kept out of main.ts so its flags live beside
 * their commands). The credential is DefaultAzureCredential (az login, managed identity, workload
 * identity, environment service principal, ...), imported on first use: MSAL is slow to load.
 */
import type { TokenCredential } from '@azure/core-auth';
import { type Command, InvalidArgumentError } from 'commander';

import { processEnvironment } from '../config.js';
import { type RollbackOptions, rolloutsRollbackCommand } from './rollbackCommand.js';
import {
  type RetryOptions,
  rolloutsActionCommand,
  type RolloutsConnectionOptions,
  type RolloutsContext,
  rolloutsListCommand,
  rolloutsRetryCommand,
  rolloutsStartCommand,
  rolloutsStatusCommand,
  rolloutsWatchCommand,
  type StartOptions,
  type WatchOptions,
} from './rolloutsCommand.js';

async function defaultCredential(): Promise<TokenCredential> {
  const { DefaultAzureCredential } = await import('@azure/identity');
  return new DefaultAzureCredential();
}

function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return Number(value);
  };
}

function seconds(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) < 0.01 || Number(value) > 3600) throw new InvalidArgumentError('expected seconds from 0.01 to 3600');
  return Number(value);
}

function upgradeType(value: string): 'Full' | 'ControlPlaneOnly' | 'NodeImageOnly' {
  if (value !== 'Full' && value !== 'ControlPlaneOnly' && value !== 'NodeImageOnly')
    throw new InvalidArgumentError('expected Full, ControlPlaneOnly or NodeImageOnly');
  return value;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function connection(command: Command): Command {
  return command
    .option('--api <url>', 'base URL of the deployed app (default: FLEETGUARD_API_URL)')
    .option('--audience <uri>', "the app's Entra audience, e.g. api://<appId> (default: FLEETGUARD_API_AUDIENCE)")
    .option('--function-key <key>', 'function key of the HTTP routes (default: FLEETGUARD_API_FUNCTION_KEY)')
    .option('--json', 'JSON output for scripts');
}

export function registerRolloutsCommands(
  program: Command,
  onExit: (code: number) => void,
  credential: () => Promise<TokenCredential> = defaultCredential,
): void {
  const context = (): RolloutsContext => ({
    output: { stdout: (text: string) => process.stdout.write(`${text}\n`), width: process.stdout.columns },
    env: processEnvironment(),
    credential,
    isTTY: process.stdout.isTTY,
  });
  const rollouts = program.command('rollouts').description('Live rollouts on the deployed app (Entra token from DefaultAzureCredential)');
  connection(
    rollouts
      .command('start')
      .description('Start (or with --dry-run plan) a rollout from a plan file and/or flags')
      .option('--plan <file>', 'JSON body of POST /api/rollouts; flags override its fields')
      .option('--target <version>', 'exact patch (1.32.4) or minor (1.32)')
      .option('--waves-by-tag <tag>', 'tag whose values (ascending) are the waves')
      .option('--max-parallel <n>', 'clusters upgraded at once per wave', wholeNumber(1, 100))
      .option('--soak-minutes <m>', 'soak after each cluster, with health measurements', wholeNumber(0, 1440))
      .option('--require-approval', 'every wave waits for approval')
      .option('--approve-wave <name>', 'this wave waits for approval (repeatable)', collect)
      .option('--max-failed <n>', 'failed clusters tolerated before halting', wholeNumber(0, 10_000))
      .option('--upgrade-type <type>', 'Full, ControlPlaneOnly or NodeImageOnly', upgradeType)
      .option('--respect-maintenance-windows', "wait for each cluster's planned maintenance window")
      .option('--allow-multi-minor-hops', 'plan consecutive minor upgrades')
      .option('--require-distinct-approver', 'no wave may be approved by whoever starts the rollout (default: production-tagged waves only)')
      .option('--no-require-distinct-approver', 'let the requester approve every wave, production ones included')
      .option('--dry-run', 'plan only: show the waves, hops and exclusions; nothing starts')
      .option('--allow-empty', 'plan or start it even when it upgrades nothing (else the app answers 422 with the reasons)'),
  ).action(async (options: StartOptions) => onExit(await rolloutsStartCommand(options, context())));
  connection(rollouts.command('list').description('Rollouts, newest first')).action(async (options: RolloutsConnectionOptions) =>
    onExit(await rolloutsListCommand(options, context())),
  );
  connection(rollouts.command('status <id>').description('A rollout: its waves and clusters as tables, and the actions taken')).action(
    async (id: string, options: RolloutsConnectionOptions) => onExit(await rolloutsStatusCommand(id, options, context())),
  );
  connection(
    rollouts
      .command('watch <id>')
      .description('Follow a rollout until it ends or halts; exit 0 Completed, 3 Halted, 4 Failed, 5 Aborted')
      .option('--interval <seconds>', 'seconds between refreshes (default 10)', seconds),
  ).action(async (id: string, options: WatchOptions) => onExit(await rolloutsWatchCommand(id, options, context())));
  connection(
    rollouts
      .command('rollback <id>')
      .description(
        "Ask for AKS's node-pool rollback of clusters a halted or ended rollout upgraded (--cluster), or approve the one asked for (--approve; by someone else)",
      )
      .option('--cluster <name>', 'cluster (name or id) whose upgraded pools go back one step (repeatable)', collect)
      .option('--approve [rollbackId]', 'approve the rollback waiting for approval (its id when several wait)'),
  ).action(async (id: string, options: RollbackOptions) => onExit(await rolloutsRollbackCommand(id, options, context())));
  for (const [operation, description] of [
    ['approve', 'Approve the wave the rollout waits for'],
    ['resume', 'Resume a halted rollout (its failed gate runs again first)'],
    ['abort', 'Abort the rollout: nothing new starts'],
  ] as const) {
    connection(rollouts.command(`${operation} <id>`).description(description)).action(async (id: string, options: RolloutsConnectionOptions) =>
      onExit(await rolloutsActionCommand(operation, id, options, context())),
    );
  }
  connection(
    rollouts
      .command('retry <id>')
      .description('Re-run, as a new rollout with the same plan, the clusters of an ended rollout that failed or were skipped by a halt or an abort')
      .option('--cluster <name>', 'only this cluster (name or resource id) of those; repeatable', collect),
  ).action(async (id: string, options: RetryOptions) => onExit(await rolloutsRetryCommand(id, options, context())));
}
