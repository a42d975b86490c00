/**
 * What the CLI's local modes (`sweep --demo`, `sweep --snapshot`, `rollout`, `report --demo`) need
 * from the local tooling. main.ts loads the implementation (localModesTooling.ts) with `import()`
 * in those modes only; the commands receive it, so no runtime module imports the tooling.
 */
import type { FleetGuardConfig } from '../config.js';
import type { DiagnosticSettingsReader } from '../model/diagnosticSettings.js';
import type { InClusterReader } from '../model/inCluster.js';
import type { FleetReportModel } from '../report/fleetReport.js';
import type { ReportSources } from '../report/reportData.js';
import type { SweepResult } from '../sweep/sweepResult.js';
import type { RolloutOutcome } from '../upgrades/orchestrators.js';
import type { RolloutRequest } from '../upgrades/plan.js';
import type { Rehearsal, RehearsalKinds } from '../upgrades/rehearsal.js';
import type { CommandOutput } from './sweepCommand.js';

export interface LocalModes {
  /**
   * `fleetguard sweep --demo`: the whole pipeline on the sample fleet, told on `output` unless
   * `narrate` is false; its exit status and its first sweep (for `--json`). `atEnd`, when given,
   * reads the demo's final state before it is torn down (`report --demo` renders exactly that).
   */
  runDemo(
    output: CommandOutput,
    options?: { narrate?: boolean; atEnd?: (sources: ReportSources) => Promise<void> },
  ): Promise<{ exitCode: number; sweep: SweepResult }>;
  /** `fleetguard report --demo`: the state `sweep --demo` ends in (its two sweeps, event and remediation, and its halted rehearsal). */
  demoReportModel(): Promise<FleetReportModel>;
  /**
   * The simulator serving the snapshot folder (validated whole first, a bad one is `badInput`), and
   * the reader of its `kubernetes/` folders, and of its diagnostic settings (unknown, so AKS-AUDIT-LOGS
   * is not evaluated, for a cluster `diagnosticSettings.json` does not name); the caller closes it.
   * `settings` are laid over the simulator's own (those a snapshot sweep honours); `warnings` are
   * what the snapshot's reader noticed without refusing it (an empty fleet), one line each.
   * `withTables` adds in-process Azurite as the storage (`report --snapshot` keeps the sweep's
   * findings and records there).
   */
  startSnapshot(
    snapshotPath: string,
    settings?: Record<string, string>,
    options?: { withTables?: boolean },
  ): Promise<{ config: FleetGuardConfig; inCluster: InClusterReader; diagnostics: DiagnosticSettingsReader; warnings: string[]; close(): Promise<void> }>;
  /** Rehearses the rollout on the snapshot folder; the caller closes `local`. */
  rehearse(
    snapshotPath: string,
    options: { request: RolloutRequest; injectAnomaly: string[]; injectFailure: string[]; onStep?: (step: number) => void },
    env: Record<string, string | undefined>,
  ): Promise<Pick<Rehearsal<RehearsalKinds>, 'stats' | 'local'> & { outcome: RolloutOutcome }>;
}

/** Loads the local tooling (on demand: the other commands never load the simulator). */
export type LoadLocalModes = () => Promise<LocalModes>;
