/**
 * `fleetguard report --out report.html`: the fleet report from the configured storage. With
 * `--demo`, from the built-in sample fleet: a rollout rehearsal that halts, then two sweeps around
 * a remediation, all on in-process Azurite, so every section has something to show. `--framework`
 * picks the benchmark the "by framework" section groups findings by (cis-aks, kubescape, nsa).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { createAzureClients } from '../app/clients.js';
import { getConfig, requireStorage } from '../config.js';
import { FleetGuardError } from '../errors.js';
import { type Framework, FRAMEWORKS } from '../model/ruleMetadata.js';
import { type FleetReportModel, renderFleetReport } from '../report/fleetReport.js';
import { gatherReportData } from '../report/reportData.js';
import type { LoadLocalModes } from './localModes.js';
import type { CommandOutput } from './sweepCommand.js';

export interface ReportCommandOptions {
  out: string;
  demo?: boolean;
  /** The benchmark the "by framework" section groups findings by; CIS AKS when absent. */
  framework?: string;
}

function parseFramework(value: string | undefined): Framework {
  if (value === undefined) return 'cis-aks';
  const framework = FRAMEWORKS.find((name) => name === value);
  if (framework === undefined) throw new FleetGuardError('badInput', `--framework ${value}: must be one of ${FRAMEWORKS.join(', ')}`);
  return framework;
}

export async function reportCommand(options: ReportCommandOptions, output: CommandOutput, localModes: LoadLocalModes): Promise<number> {
  const target = path.resolve(options.out);
  if (!target.endsWith('.html')) throw new FleetGuardError('badInput', `--out ${options.out}: the report is HTML; name the file *.html`);
  const framework = parseFramework(options.framework);
  let model: FleetReportModel;
  if (options.demo === true) {
    model = await (await localModes()).demoReportModel();
  } else {
    const config = getConfig();
    requireStorage(config);
    model = await gatherReportData(createAzureClients(config), new Date());
  }
  const html = renderFleetReport(model, { framework });
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, html);
  } catch (error) {
    throw new FleetGuardError(
      'badInput',
      `--out ${options.out}: cannot write the report (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  output.stdout(
    `Wrote ${options.out}: ${model.clusters.length} clusters, ${model.openFindings.length} open findings, ${model.sweeps.length} sweeps, ${model.rollouts.length} rollouts (${Math.round(html.length / 1024)} KB, self-contained)`,
  );
  for (const problem of model.problems) output.stdout(`warning: ${problem}`);
  return model.problems.length === 0 ? 0 : 1;
}
