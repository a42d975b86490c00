/**
 * `fleetguard report` on storage no sweep has written to (issue 17): the tables do not exist yet, and
 * Azure Tables (here real Azurite) answers 404 `TableNotFound`
 * (https://learn.microsoft.com/rest/api/storageservices/table-service-error-codes). That is "no sweep
 * has run yet against <storage>", on the page and in one line of output: never the raw OData error
 * body, never an "incomplete report", never "no open findings".
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { forgetConfigForLocalHost } from '../../lib/config.js';
import { FindingsStore } from '../../lib/findings/findingsStore.js';
import { noSweepYet } from '../../lib/report/fleetReport.js';
import { gatherReportData } from '../../lib/report/reportData.js';
import { SweepRecordStore } from '../../lib/sweep/sweepRecordStore.js';
import { RolloutStore } from '../../lib/upgrades/rolloutStore.js';
import { runCliInProcess } from '../harness/cli.js';
import { azuriteConnectionString, azuriteTable, uniqueTableName } from '../harness/tables.js';

const SETTINGS = ['AzureWebJobsStorage', 'FLEETGUARD_FINDINGS_TABLE', 'FLEETGUARD_SWEEPS_TABLE', 'FLEETGUARD_ROLLOUTS_TABLE'] as const;

describe('report on storage with no sweep yet', () => {
  afterEach(() => {
    for (const name of SETTINGS) Reflect.deleteProperty(process.env, name);
    forgetConfigForLocalHost();
    vi.restoreAllMocks();
  });

  it('reads the missing tables as "no sweep yet", not as a failure', async () => {
    const model = await gatherReportData(
      {
        findings: new FindingsStore(azuriteTable(uniqueTableName('nofind'))),
        sweeps: new SweepRecordStore(azuriteTable(uniqueTableName('nosweep'))),
        rollouts: new RolloutStore(azuriteTable(uniqueTableName('noroll'))),
      },
      new Date('2026-11-30T12:00:00Z'),
      { storage: 'the test storage' },
    );
    expect(model).toMatchObject({ problems: [], sweeps: [], clusters: [], openFindings: [], storage: 'the test storage' });
    expect(noSweepYet(model)).toBe(true);
  });

  it('fleetguard report says so in one line and on the page, and prints no storage error', async () => {
    process.env['AzureWebJobsStorage'] = azuriteConnectionString();
    process.env['FLEETGUARD_FINDINGS_TABLE'] = uniqueTableName('nofind');
    process.env['FLEETGUARD_SWEEPS_TABLE'] = uniqueTableName('nosweep');
    process.env['FLEETGUARD_ROLLOUTS_TABLE'] = uniqueTableName('noroll');
    forgetConfigForLocalHost();
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'report-')), 'report.html');

    const run = await runCliInProcess(['report', '--out', out]);

    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /^No sweep has run yet against Table storage http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 \(AzureWebJobsStorage\): nothing to report/,
    );
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(`${run.stdout}${run.stderr}${logged.mock.calls.flat().join('\n')}`).not.toMatch(/odata|TableNotFound|404|AccountKey|Eby8vdM02/i);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/No sweep has run yet against Table storage http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1/);
    expect(html).not.toMatch(/Nothing to change|No open findings|Incomplete report|odata/i);
  });
});
