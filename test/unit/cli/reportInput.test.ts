/**
 * `fleetguard report --demo|--snapshot` and the settings (issue 17, "Validation everywhere"): the
 * report's local modes validate every setting as sweep's do, before the demo or the sweep starts,
 * and name the ones they ignore. The local modes port is a stand-in that records what ran: what is
 * under test is the command's own validation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import type { LocalModes } from '../../../lib/cli/localModes.js';
import { reportCommand } from '../../../lib/cli/reportCommand.js';
import { FleetGuardError } from '../../../lib/errors.js';

const folder = mkdtempSync(path.join(tmpdir(), 'report-input-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function standIn(ran: string[]): () => Promise<LocalModes> {
  return () =>
    Promise.resolve({
      demoReportModel: () => {
        ran.push('demo');
        return Promise.reject(new Error('the demo ran'));
      },
      startSnapshot: () => {
        ran.push('snapshot');
        return Promise.reject(new Error('the snapshot sweep ran'));
      },
    } as unknown as LocalModes);
}

describe('report in its local modes', () => {
  for (const mode of ['demo', 'snapshot'] as const) {
    it(`--${mode}: a malformed setting is bad input naming it, and nothing runs`, async () => {
      const ran: string[] = [];
      const options = { out: path.join(folder, 'report.html'), ...(mode === 'demo' ? { demo: true } : { snapshot: folder }) };
      const attempt = reportCommand(options, { stdout: () => undefined, width: undefined }, standIn(ran), { FLEETGUARD_SWEEP_CONCURRENCY: 'abc' });
      await expect(attempt).rejects.toThrow(FleetGuardError);
      await expect(attempt).rejects.toThrow(/FLEETGUARD_SWEEP_CONCURRENCY/);
      expect(ran).toEqual([]);
    });
  }

  it('--demo: a setting the demo ignores is named on stderr before it runs', async () => {
    const ran: string[] = [];
    const stderr: string[] = [];
    const attempt = reportCommand(
      { out: path.join(folder, 'report.html'), demo: true },
      { stdout: () => undefined, width: undefined, stderr: (line) => stderr.push(line) },
      standIn(ran),
      { FLEETGUARD_SWEEP_CONCURRENCY: '4' },
    );
    await expect(attempt).rejects.toThrow('the demo ran');
    expect(stderr).toEqual([expect.stringMatching(/^fleetguard: warning: ignored by report --demo \(.*\): FLEETGUARD_SWEEP_CONCURRENCY$/)]);
    expect(ran).toEqual(['demo']);
  });
});
