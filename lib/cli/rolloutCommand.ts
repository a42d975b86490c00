/** `fleetguard rollout` (CONTRACTS.md §4): rehearse a rollout on a fleet snapshot. */
import { FleetGuardError } from '../errors.js';
import { loadSnapshot } from '../simulator/snapshot.js';
import { rehearseRollout } from '../upgrades/rehearsal.js';
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
  json?: boolean;
}

export async function rolloutCommand(options: RolloutCommandOptions, output: CommandOutput, env: Record<string, string | undefined>): Promise<number> {
  if (!/^\d+\.\d+(\.\d+)?$/.test(options.target)) throw new FleetGuardError('badInput', `--target: '${options.target}' is not a Kubernetes version such as 1.32 or 1.32.4`);
  const snapshot = loadSnapshot(options.snapshot);
  const rehearsal = await rehearseRollout(
    {
      snapshot,
      request: {
        target: options.target,
        scope: {},
        waves: { byTag: options.wavesByTag },
        waveSettings: { maxParallel: options.maxParallel ?? 2, soakMinutes: options.soakMinutes ?? 10, requireApproval: options.requireApproval ?? false },
        upgradeType: options.upgradeType ?? 'Full',
        maxFailedClusters: options.maxFailed ?? 0,
        respectMaintenanceWindows: false,
        allowMultiMinorHops: options.allowMultiMinorHops ?? false,
        dryRun: false,
      },
      injectAnomaly: options.injectAnomaly ?? [],
      injectFailure: options.injectFailure ?? [],
    },
    env,
  );
  try {
    const { outcome } = rehearsal;
    if (options.json === true) {
      output.stdout(JSON.stringify(outcome, null, 2));
    } else {
      output.stdout(`Rollout ${outcome.status}${outcome.haltReason ? `: ${outcome.haltReason}` : ''}`);
      for (const wave of outcome.waves) {
        output.stdout(`  wave ${wave.name}: ${wave.status}`);
        for (const cluster of wave.clusters) {
          output.stdout(`    ${(cluster.resourceId.split('/').at(-1) ?? '').padEnd(20)} ${cluster.status.padEnd(10)} ${cluster.fromVersion} → ${cluster.toVersion}${cluster.reason ? `  (${cluster.reason})` : ''}`);
        }
      }
      for (const entry of outcome.excluded) output.stdout(`  excluded ${entry.resourceId.split('/').at(-1) ?? ''}: ${entry.reason}`);
      output.stdout(`  ${rehearsal.stats.virtualMinutes} simulated minutes, ${rehearsal.stats.replays} orchestrator replays, ${rehearsal.stats.activities} activities`);
    }
    return 0;
  } finally {
    await rehearsal.local.close();
  }
}
