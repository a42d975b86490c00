/**
 * `fleetguard report --out report.html`: the fleet report from the configured storage. With `--demo`,
 * the state `fleetguard sweep --demo` ends in (the same demo run silently: its sweeps, event,
 * remediation and halted rehearsal); with `--snapshot DIR`, a sweep of the snapshot folder run in
 * this process (as `sweep --snapshot` does) into in-process Azurite, then reported; neither needs
 * Azure or storage. `--framework` picks the benchmark the "by framework" section groups findings by.
 * On storage no sweep has written to yet, the page and the output say so (exit 0).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { createAzureClients, sweepDependencies } from '../app/clients.js';
import { getConfig, requireStorage } from '../config.js';
import { FleetGuardError } from '../errors.js';
import { type Framework, FRAMEWORKS } from '../model/ruleMetadata.js';
import { type FleetReportModel, noSweepYet, renderFleetReport } from '../report/fleetReport.js';
import { gatherReportData } from '../report/reportData.js';
import { storageLabel } from '../report/storageLabel.js';
import { runSweep } from '../sweep/runSweep.js';
import type { LoadLocalModes } from './localModes.js';
import { localModeSettings } from './localModeSettings.js';
import type { CommandOutput } from './sweepCommand.js';

export interface ReportCommandOptions {
  out: string;
  demo?: boolean;
  /** A snapshot folder (CONTRACTS.md §2) to sweep in process and report on. */
  snapshot?: string;
  /** The benchmark the "by framework" section groups findings by; CIS AKS when absent. */
  framework?: string;
}

function parseFramework(value: string | undefined): Framework {
  if (value === undefined) return 'cis-aks';
  const framework = FRAMEWORKS.find((name) => name === value);
  if (framework === undefined) throw new FleetGuardError('badInput', `--framework ${value}: must be one of ${FRAMEWORKS.join(', ')}`);
  return framework;
}

/** Sweeps the snapshot folder through the local simulator into in-process Azurite, and reads the report from there. */
async function snapshotReportModel(snapshot: string, localModes: LoadLocalModes, settings: Record<string, string>): Promise<FleetReportModel> {
  const local = await (await localModes()).startSnapshot(snapshot, settings, { withTables: true });
  try {
    const clients = createAzureClients(local.config);
    await runSweep(
      { ...sweepDependencies(clients), inCluster: local.inCluster, diagnostics: local.diagnostics },
      { subscriptions: [], concurrency: local.config.sweep.concurrency, trigger: 'cli' },
    );
    return await gatherReportData(clients, new Date(), { storage: `snapshot ${snapshot}` });
  } finally {
    await local.close();
  }
}

async function readModel(
  options: ReportCommandOptions,
  localModes: LoadLocalModes,
  env: Record<string, string | undefined>,
  warn: (line: string) => void,
): Promise<FleetReportModel> {
  // The local modes validate every setting as sweep's do (a malformed one is exit 2) and name the ones they ignore.
  if (options.demo === true) {
    const settings = localModeSettings(env, 'demo', 'report');
    if (settings.warning !== undefined) warn(settings.warning);
    return (await localModes()).demoReportModel();
  }
  if (options.snapshot !== undefined) {
    const settings = localModeSettings(env, 'snapshot', 'report');
    if (settings.warning !== undefined) warn(settings.warning);
    return snapshotReportModel(options.snapshot, localModes, settings.honoured);
  }
  const config = getConfig();
  const storage = requireStorage(config);
  return gatherReportData(createAzureClients(config), new Date(), { storage: storageLabel(storage) });
}

export async function reportCommand(
  options: ReportCommandOptions,
  output: CommandOutput,
  localModes: LoadLocalModes,
  env: Record<string, string | undefined> = {},
): Promise<number> {
  const target = path.resolve(options.out);
  if (!target.endsWith('.html')) throw new FleetGuardError('badInput', `--out ${options.out}: the report is HTML; name the file *.html`);
  if (options.demo === true && options.snapshot !== undefined) throw new FleetGuardError('badInput', '--demo and --snapshot cannot be combined');
  const framework = parseFramework(options.framework);
  const cannotWrite = (error: unknown) =>
    new FleetGuardError('badInput', `--out ${options.out}: cannot write the report (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  // Where the page goes is checked before the sweep or the demo runs, not after.
  try {
    mkdirSync(path.dirname(target), { recursive: true });
  } catch (error) {
    throw cannotWrite(error);
  }
  const model = await readModel(options, localModes, env, (line) => output.stderr?.(line));
  const html = renderFleetReport(model, { framework });
  try {
    writeFileSync(target, html);
  } catch (error) {
    throw cannotWrite(error);
  }
  if (noSweepYet(model)) {
    output.stdout(
      `No sweep has run yet against ${model.storage ?? 'this storage'}: nothing to report. Run \`fleetguard sweep\` first. Wrote ${options.out} saying so.`,
    );
    return 0;
  }
  const resolved = model.resolvedFindings?.length ?? 0;
  output.stdout(
    `Wrote ${options.out}: ${model.clusters.length} clusters, ${model.openFindings.length} open findings (${resolved} resolved since the previous sweep), ${model.sweeps.length} sweeps, ${model.rollouts.length} rollouts (${Math.round(html.length / 1024)} KB, self-contained)`,
  );
  for (const problem of model.problems) output.stdout(`warning: ${problem}`);
  return model.problems.length === 0 ? 0 : 1;
}
