/**
 * `fleetguard report --out report.html`: the fleet report from the configured storage. With
 * `--demo`, from the built-in sample fleet: a rollout rehearsal that halts, then two sweeps around
 * a remediation, all on in-process Azurite, so every section has something to show.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { createAzureClients, sweepDependencies } from '../app/clients.js';
import { getConfig, requireStorage } from '../config.js';
import { FleetGuardError } from '../errors.js';
import { type FleetReportModel, renderFleetReport } from '../report/fleetReport.js';
import { gatherReportData } from '../report/reportData.js';
import { runSweep } from '../sweep/runSweep.js';
import { DEMO_WEB_DEV, rehearseDemoRollout } from './demoRollout.js';
import type { CommandOutput } from './sweepCommand.js';

export interface ReportCommandOptions {
  out: string;
  demo?: boolean;
}

async function demoModel(): Promise<FleetReportModel> {
  const rehearsal = await rehearseDemoRollout();
  try {
    const clients = createAzureClients(rehearsal.local.config);
    const deps = sweepDependencies(clients);
    await runSweep(deps, { subscriptions: [], concurrency: 8, trigger: 'demo' });
    rehearsal.local.simulator.fleet.updateClusterProperties(DEMO_WEB_DEV, (properties) => {
      properties['disableLocalAccounts'] = true;
    });
    await runSweep(deps, { subscriptions: [], concurrency: 8, trigger: 'demo' });
    return await gatherReportData(clients, new Date());
  } finally {
    await rehearsal.local.close();
  }
}

export async function reportCommand(options: ReportCommandOptions, output: CommandOutput): Promise<number> {
  const target = path.resolve(options.out);
  if (!target.endsWith('.html')) throw new FleetGuardError('badInput', `--out ${options.out}: the report is HTML; name the file *.html`);
  let model: FleetReportModel;
  if (options.demo === true) {
    model = await demoModel();
  } else {
    const config = getConfig();
    requireStorage(config);
    model = await gatherReportData(createAzureClients(config), new Date());
  }
  const html = renderFleetReport(model);
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, html);
  } catch (error) {
    throw new FleetGuardError('badInput', `--out ${options.out}: cannot write the report (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  output.stdout(`Wrote ${options.out}: ${model.clusters.length} clusters, ${model.openFindings.length} open findings, ${model.sweeps.length} sweeps, ${model.rollouts.length} rollouts (${Math.round(html.length / 1024)} KB, self-contained)`);
  for (const problem of model.problems) output.stdout(`warning: ${problem}`);
  return model.problems.length === 0 ? 0 : 1;
}
