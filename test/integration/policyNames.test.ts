/**
 * Policy findings named by their definitions (issue 17, "Policy findings show definition GUIDs
 * instead of names"): the display names of the definitions and initiatives come from one Azure
 * Resource Graph `policyresources` query per sweep (lib/azure/policyDefinitions.ts), sent by the
 * real `@azure/arm-resourcegraph` client to the simulator, which answers it from the snapshot's
 * `policyDefinitions.json` (display names of real built-ins, sources in
 * tooling/simulator/sample-fleet/README.md). The names reach the CLI table, every alert vendor and
 * the report; the definition id stays in the finding's subject and detail. Without the file, or
 * when the query fails, findings keep the GUID and the sweep completes (the failure reported once).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VENDORS } from '../../lib/alerts/vendors/index.js';
import { formatSweepTable } from '../../lib/cli/sweepTable.js';
import type { Finding } from '../../lib/model/finding.js';
import { POLICY_RULE } from '../../lib/policy/policyRules.js';
import { renderFleetReport } from '../../lib/report/fleetReport.js';
import { gatherReportData } from '../../lib/report/reportData.js';
import type { SweepResult } from '../../lib/sweep/sweepResult.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { firing } from '../harness/alerts.js';
import { startTestFleet, type TestFleet } from '../harness/localFleet.js';

const PRIVILEGED_ID = '/providers/Microsoft.Authorization/policyDefinitions/95edb821-ddaf-4404-9732-666045e056b4';
/** Its display name in Azure/azure-policy built-in-policies/policyDefinitions/Kubernetes/ContainerNoPrivilege.json. */
const PRIVILEGED_NAME = 'Kubernetes cluster should not allow privileged containers';
const ARM = { FLEETGUARD_INVENTORY_SOURCE: 'arm' };

const policyFindings = (result: SweepResult): Finding[] => result.findings.filter((finding) => finding.ruleId === POLICY_RULE.id);
const privileged = (result: SweepResult): Finding[] => policyFindings(result).filter((finding) => finding.subject === PRIVILEGED_ID.toLowerCase());
const namesQueries = (fleet: TestFleet): number =>
  fleet.local.simulator.requests.entries.filter((entry) => entry.route === 'graph.resources' && entry.status === 200).length;

const fleets: TestFleet[] = [];
afterAll(async () => {
  await Promise.all(fleets.map((fleet) => fleet.close()));
});

async function fleetWith(options: Parameters<typeof startTestFleet>[0]): Promise<TestFleet> {
  const fleet = await startTestFleet(options);
  fleets.push(fleet);
  return fleet;
}

describe('policy definition names', () => {
  let named: TestFleet;
  let result: SweepResult;
  beforeAll(async () => {
    // ARM inventory: the only Resource Graph request of the sweep is the names query.
    named = await fleetWith({ snapshot: loadSnapshot(sampleFleetDirectory()), settings: ARM, withStore: true });
    result = await named.sweep();
  });

  it('are resolved once per sweep and shown in the finding title and detail, the id kept in subject and detail', () => {
    expect(result.status).toBe('succeeded');
    expect(namesQueries(named)).toBe(1);
    const findings = privileged(result);
    expect(findings.length).toBeGreaterThan(0);
    for (const finding of findings) {
      expect(finding.title).toBe(`${POLICY_RULE.title}: ${PRIVILEGED_NAME}`);
      expect(finding.detail).toContain(`"${PRIVILEGED_NAME}" (${PRIVILEGED_ID})`);
      expect(finding.subject).toBe(PRIVILEGED_ID.toLowerCase());
    }
    // A custom definition the snapshot has no body for keeps its name segment.
    expect(policyFindings(result).map((finding) => finding.title)).toContain(`${POLICY_RULE.title}: pool-max-pods`);
  });

  it('show in the CLI table, every alert vendor and the report', async () => {
    // Cells wrap within their column: read the table's words in order.
    const words = (text: string) => text.replace(/[│┌┐└┘├┤┬┴┼─]/g, ' ').replace(/\s+/g, ' ');
    expect(words(formatSweepTable(result, { width: 100 }))).toContain(PRIVILEGED_NAME);
    const finding = privileged(result)[0]!;
    for (const vendor of VENDORS) {
      const rendered = JSON.stringify(
        vendor.render({ route: 'r', receiver: 'r', groupKey: 'k', alerts: [firing({ ...finding, cluster: finding.clusterName })] }),
      );
      expect([vendor.name, rendered.includes(PRIVILEGED_NAME)]).toEqual([vendor.name, true]);
    }
    const html = renderFleetReport(await gatherReportData({ findings: named.clients.findings, sweeps: named.clients.sweeps, rollouts: undefined }, new Date()));
    expect(html).toContain(PRIVILEGED_NAME);
  });

  it('without policyDefinitions.json: the GUIDs, as before, and no error', async () => {
    const fleet = await fleetWith({ snapshot: { ...loadSnapshot(sampleFleetDirectory()), policyDefinitions: undefined }, settings: ARM });
    const bare = await fleet.sweep();
    expect(bare.status).toBe('succeeded');
    expect(privileged(bare).map((finding) => finding.title)).toEqual(
      privileged(result).map(() => `${POLICY_RULE.title}: 95edb821-ddaf-4404-9732-666045e056b4`),
    );
  });

  it('a failing lookup is reported once, never fails the sweep, and leaves the GUIDs', async () => {
    const fleet = await fleetWith({
      snapshot: loadSnapshot(sampleFleetDirectory()),
      settings: ARM,
      maxRetries: 1,
      faults: { routes: { 'graph.resources': { serverError: { rate: 1, status: 500 } } } },
    });
    const failed = await fleet.sweep();
    expect(failed.status).toBe('partial');
    expect(failed.errors.filter((error) => error.target === 'definition names')).toEqual([
      expect.objectContaining({ scope: 'policy', reason: 'serverError', message: expect.stringContaining('policy findings name definitions by id') }),
    ]);
    expect(failed.errors).toHaveLength(1);
    expect(policyFindings(failed).length).toBe(policyFindings(result).length);
    expect(privileged(failed)[0]?.title).toBe(`${POLICY_RULE.title}: 95edb821-ddaf-4404-9732-666045e056b4`);
  });
});
