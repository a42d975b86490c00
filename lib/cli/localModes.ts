/**
 * What the CLI's local modes (`sweep --demo`, `sweep --snapshot`, `rollout`, `report --demo`) need
 * from the local tooling. main.ts loads the implementation (localModesTooling.ts) with `import()`
 * in those modes only; the commands receive it, so no runtime module imports the tooling.
 */
import type { FleetGuardConfig } from '../config.js';
import type { InClusterReader } from '../model/inCluster.js';
import type { FleetReportModel } from '../report/fleetReport.js';
import type { RolloutOutcome } from '../upgrades/orchestrators.js';
import type { RolloutRequest } from '../upgrades/plan.js';
import type { Rehearsal, RehearsalKinds } from '../upgrades/rehearsal.js';
import type { CommandOutput } from './sweepCommand.js';

export interface LocalModes {
  /** `fleetguard sweep --demo`: the whole pipeline on the sample fleet; the exit status. */
  runDemo(output: CommandOutput): Promise<number>;
  /** `fleetguard report --demo`: the state `sweep --demo` ends in (its two sweeps, event and remediation, and its halted rehearsal). */
  demoReportModel(): Promise<FleetReportModel>;
  /**
   * The simulator serving the snapshot folder (validated whole first, a bad one is `badInput`), and
   * the reader of its `kubernetes/` folders; the caller closes it. `withTables` adds in-process
   * Azurite as the storage (`report --snapshot` keeps the sweep's findings and records there).
   */
  startSnapshot(
    snapshotPath: string,
    options?: { withTables?: boolean },
  ): Promise<{ config: FleetGuardConfig; inCluster: InClusterReader; close(): Promise<void> }>;
  /** Rehearses the rollout on the snapshot folder; the caller closes `local`. */
  rehearse(
    snapshotPath: string,
    options: { request: RolloutRequest; injectAnomaly: string[]; injectFailure: string[] },
    env: Record<string, string | undefined>,
  ): Promise<Pick<Rehearsal<RehearsalKinds>, 'stats' | 'local'> & { outcome: RolloutOutcome }>;
}

/** Loads the local tooling (on demand: the other commands never load the simulator). */
export type LoadLocalModes = () => Promise<LocalModes>;
