/** `fleetguard rollout` (CONTRACTS.md §4): rehearse a rollout on a fleet snapshot. */
import { FleetGuardError } from '../errors.js';
import { nothingUpgraded, upgradedCount } from '../upgrades/rehearsal.js';
import { inFlagTerms, valuesInFlagTerms } from './flagNames.js';
import type { LoadLocalModes } from './localModes.js';
import { terminalTicker } from './progress.js';
import { REHEARSAL_DEFAULTS } from './rehearsalDefaults.js';
import type { CommandOutput } from './sweepCommand.js';

export interface RolloutCommandOptions {
  snapshot: string;
  target: string;
  wavesByTag: string;
  maxParallel?: number;
  soakMinutes?: number;
  maxFailed?: number;
  injectAnomaly?: string[];
  injectFailure?: string[];
  requireApproval?: boolean;
  allowMultiMinorHops?: boolean;
  upgradeType?: 'Full' | 'ControlPlaneOnly' | 'NodeImageOnly';
  /** A rehearsal that upgrades nothing exits 0 rather than 1. */
  allowEmpty?: boolean;
  json?: boolean;
}

/**
 * Exit status (CONTRACTS.md §4): 0 when the rehearsal ran to an end state (also Halted); 1 when it
 * upgraded nothing (every cluster excluded or skipped), with one line on stderr saying why, unless
 * `allowEmpty`; unusable input throws `badInput` before anything runs (exit 2).
 */
export async function rolloutCommand(
  options: RolloutCommandOptions,
  output: CommandOutput,
  env: Record<string, string | undefined>,
  localModes: LoadLocalModes,
  stderr: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  /** A step count while the rehearsal runs; by default on stderr when it is a terminal. */
  ticker = terminalTicker(),
): Promise<number> {
  if (!/^\d+\.\d+(\.\d+)?$/.test(options.target))
    throw new FleetGuardError('badInput', `--target: '${options.target}' is not a Kubernetes version such as 1.32 or 1.32.4`);
  const rehearsal = await (
    await localModes()
  ).rehearse(
    options.snapshot,
    {
      request: {
        target: options.target,
        scope: {},
        waves: { byTag: options.wavesByTag },
        waveSettings: {
          maxParallel: options.maxParallel ?? REHEARSAL_DEFAULTS.maxParallel,
          soakMinutes: options.soakMinutes ?? REHEARSAL_DEFAULTS.soakMinutes,
          requireApproval: options.requireApproval ?? false,
        },
        upgradeType: options.upgradeType ?? REHEARSAL_DEFAULTS.upgradeType,
        maxFailedClusters: options.maxFailed ?? REHEARSAL_DEFAULTS.maxFailed,
        respectMaintenanceWindows: false,
        allowMultiMinorHops: options.allowMultiMinorHops ?? false,
        dryRun: false,
      },
      injectAnomaly: options.injectAnomaly ?? [],
      injectFailure: options.injectFailure ?? [],
      ...(ticker === undefined ? {} : { onStep: (step: number) => ticker.tick(`rehearsing on the local durable host: step ${step}`) }),
    },
    env,
  );
  ticker?.done();
  try {
    // Reasons name the API's request fields; a CLI user sets them with flags.
    const outcome = valuesInFlagTerms(rehearsal.outcome);
    const empty = nothingUpgraded(outcome, options.target);
    if (options.json === true) {
      // §4's fields keep their meaning; `upgraded` and `nothingToUpgrade` are additions.
      output.stdout(JSON.stringify({ ...outcome, upgraded: upgradedCount(outcome), nothingToUpgrade: empty }, null, 2));
    } else {
      output.stdout(
        `Rollout ${outcome.status}${empty === null ? '' : ', nothing upgraded'}${outcome.haltReason ? `: ${inFlagTerms(outcome.haltReason)}` : ''}`,
      );
      for (const wave of outcome.waves) {
        output.stdout(`  wave ${wave.name}: ${wave.status}`);
        for (const cluster of wave.clusters) {
          output.stdout(
            `    ${(cluster.resourceId.split('/').at(-1) ?? '').padEnd(20)} ${cluster.status.padEnd(10)} ${cluster.fromVersion} → ${cluster.toVersion}${cluster.reason ? `  (${inFlagTerms(cluster.reason)})` : ''}`,
          );
        }
      }
      for (const entry of outcome.excluded) output.stdout(`  excluded ${entry.resourceId.split('/').at(-1) ?? ''}: ${inFlagTerms(entry.reason)}`);
      output.stdout(
        `  ${rehearsal.stats.virtualMinutes} simulated minutes, ${rehearsal.stats.replays} orchestrator replays, ${rehearsal.stats.activities} activities`,
      );
    }
    if (empty !== null && options.allowEmpty !== true) {
      stderr(`fleetguard: ${inFlagTerms(empty)} (pass --allow-empty to accept a rehearsal that upgrades nothing)`);
      return 1;
    }
    return 0;
  } finally {
    await rehearsal.local.close();
  }
}
