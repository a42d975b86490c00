import { LogsQueryClient, LogsQueryResultStatus } from '@azure/monitor-query-logs';
import { afterEach, describe, expect, it } from 'vitest';

import { SimulatorCredential } from '../../lib/azure/credential.js';
import { detectionById, DETECTIONS } from '../../lib/detections/catalog.js';
import { prepareDetectionQuery } from '../../lib/detections/query.js';
import { prepareUnionQuery } from '../../lib/detections/unionQuery.js';
import { simulatedCustomerId } from '../../tooling/simulator/logsRoutes.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { startTestFleet, type TestFleet } from '../harness/localFleet.js';

const OPS = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/ops/providers/Microsoft.OperationalInsights/workspaces/ops-logs';
const OPS_WE = '/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/ops-we/providers/Microsoft.OperationalInsights/workspaces/ops-logs-we';
const AUDIT = '/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/sec/providers/Microsoft.OperationalInsights/workspaces/audit-central';

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

function logFindings(result: { findings: Array<{ ruleId: string; clusterName: string }> }): string[] {
  return result.findings
    .filter((finding) => finding.ruleId.startsWith('LOG-'))
    .map((finding) => `${finding.clusterName}:${finding.ruleId}`)
    .sort();
}

describe('KQL detections through the Logs SDK and the simulator', () => {
  it('queries each referenced and configured workspace once for all detections, never per detection nor per cluster', async () => {
    const snapshot = loadSnapshot(sampleFleetDirectory());
    fleet = await startTestFleet({ snapshot, settings: { FLEETGUARD_LOG_WORKSPACES: AUDIT } });
    fleet.local.simulator.fleet.extraWorkspaces.push(AUDIT);
    const result = await fleet.sweep();
    expect(result.status).toBe('succeeded');
    // 3 workspaces (ops-logs, ops-logs-we, the configured audit-central), all 7 detections in one query each, for 7 clusters.
    expect(fleet.local.simulator.requests.count('logs.query', 200)).toBe(3);
    expect(result.stats.logs).toEqual({ workspaces: 3, failedWorkspaces: 0, queries: 3 });
    expect(logFindings(result)).toEqual(['checkout-prod:LOG-EXEC-INTO-POD', 'search-prod:LOG-CRASHLOOP', 'web-dev:LOG-FAILED-API-AUTH']);
  });

  it('a threshold override changes what fires', async () => {
    fleet = await startTestFleet({
      snapshot: loadSnapshot(sampleFleetDirectory()),
      settings: { FLEETGUARD_DETECTION_THRESHOLDS: '{"secret-reads": 10, "failed-api-auth": 1000}' },
    });
    const result = await fleet.sweep();
    expect(logFindings(result)).toEqual(['checkout-prod:LOG-EXEC-INTO-POD', 'search-prod:LOG-CRASHLOOP', 'web-dev:LOG-SECRET-READS']);
  });

  it('a failed workspace is reported, its clusters keep their LOG findings, the other workspace resolves normally', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(sampleFleetDirectory()), withStore: true, maxRetries: 0 });
    await fleet.sweep();
    // The data behind both findings goes away, but ops-logs cannot be queried this time.
    fleet.local.simulator.fleet.logs.clear();
    fleet.local.simulator.faults.configure({ failingWorkspaces: ['ops-logs'] });
    const second = await fleet.sweep();
    expect(second.status).toBe('partial');
    expect(second.errors).toEqual([
      {
        scope: 'workspace',
        target: 'ops-logs',
        reason: 'serverError',
        message: expect.stringMatching(
          /^workspace .*ops-logs: failed-api-auth, anonymous-access, exec-into-pod, privileged-pod, secret-reads, crashloop, node-not-ready: query: HTTP 500 InternalServerError: .* \(findings of these detections are kept, not resolved\)$/,
        ),
      },
    ]);
    expect(second.stats.logs).toEqual({ workspaces: 2, failedWorkspaces: 1, queries: 2 });
    const open = (await fleet.clients.findings!.listFindings({ status: 'open' })).filter((finding) => finding.ruleId.startsWith('LOG-'));
    const resolved = (await fleet.clients.findings!.listFindings({ status: 'resolved' })).filter((finding) => finding.ruleId.startsWith('LOG-'));
    // web-dev and checkout-prod report to ops-logs: kept. search-prod reports to ops-logs-we: resolved.
    expect(open.map((finding) => finding.clusterName).sort()).toEqual(['checkout-prod', 'web-dev']);
    expect(resolved.map((finding) => finding.clusterName)).toEqual(['search-prod']);
  });

  it('a PartialFailure keeps the partial rows, records the error, and resolves nothing it could not see', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(sampleFleetDirectory()), withStore: true });
    await fleet.sweep();
    fleet.local.simulator.faults.configure({ partialWorkspaces: [OPS] });
    fleet.local.simulator.fleet.logs.delete('exec-into-pod');
    const second = await fleet.sweep();
    expect(second.errors.map((error) => [error.scope, error.target])).toEqual([['workspace', 'ops-logs']]);
    expect(second.errors[0]?.message).toContain('partial result (PartialError');
    // Partial rows still raise the finding...
    expect(logFindings(second)).toContain('web-dev:LOG-FAILED-API-AUTH');
    // ...and the exec finding, whose rows vanished in a partial answer, is not resolved.
    expect(second.stats.store?.resolved).toBe(0);
  });

  it('a union the service refuses (one leg it cannot run) is queried leg by leg: only that detection is degraded and reported', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(sampleFleetDirectory()), withStore: true, maxRetries: 0 });
    fleet.local.simulator.faults.configure({ refusedDetections: ['crashloop'] });
    const result = await fleet.sweep();
    // 2 workspaces: the union (refused, 400) then the 7 detections one by one, in each.
    expect(fleet.local.simulator.requests.count('logs.query', 400)).toBe(2 + 2);
    expect(fleet.local.simulator.requests.count('logs.query', 200)).toBe(2 * 6);
    expect(result.stats.logs).toEqual({ workspaces: 2, failedWorkspaces: 2, queries: 2 + 14 });
    expect(result.errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/^workspace .*\/ops-logs: crashloop: query: HTTP 400 .*\(findings of these detections are kept, not resolved\)$/),
      expect.stringMatching(/^workspace .*\/ops-logs-we: crashloop: query: HTTP 400 /),
    ]);
    // The other six detections still ran: their findings are those of a clean sweep.
    expect(logFindings(result)).toEqual(['checkout-prod:LOG-EXEC-INTO-POD', 'web-dev:LOG-FAILED-API-AUTH']);
  });

  it('the simulator answers the union only in the shape the sweep writes it: another projection is refused, not guessed', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(sampleFleetDirectory()) });
    const client = new LogsQueryClient(new SimulatorCredential(), {
      endpoint: `${fleet.local.simulator.url}/v1`,
      tlsOptions: { ca: fleet.local.simulator.caPem },
    });
    const union = prepareUnionQuery(DETECTIONS.map((detection) => ({ detection, parameters: { lookbackMinutes: 60, threshold: detection.threshold } })));
    const answered = await client.queryWorkspace(simulatedCustomerId(OPS_WE), union.text, { duration: 'PT1H' });
    expect(answered.status).toBe(LogsQueryResultStatus.Success);
    if (answered.status === LogsQueryResultStatus.Success) {
      expect(answered.tables[0]?.columnDescriptors.map((column) => `${column.name}:${column.type}`)).toEqual([
        'Detection:string',
        '_ResourceId:string',
        'Row:dynamic',
      ]);
      expect(answered.tables[0]?.rows.filter((row) => row[0] === 'crashloop').map((row) => (row[2] as Record<string, unknown>)['Containers'])).toEqual([2, 7]);
    }
    const other = union.text.replace('Row = pack_all())', 'Row = pack_all(true))');
    await expect(client.queryWorkspace(simulatedCustomerId(OPS_WE), other, { duration: 'PT1H' })).rejects.toMatchObject({ statusCode: 400 });
  });

  it('the simulator also serves /v1/workspaces/{customerId}/query for the SDK', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(sampleFleetDirectory()) });
    const client = new LogsQueryClient(new SimulatorCredential(), {
      endpoint: `${fleet.local.simulator.url}/v1`,
      tlsOptions: { ca: fleet.local.simulator.caPem },
    });
    const query = prepareDetectionQuery(detectionById('crashloop')!, { lookbackMinutes: 60, threshold: 1 });
    const result = await client.queryWorkspace(simulatedCustomerId(OPS_WE), query, { duration: 'PT1H' });
    expect(result.status).toBe(LogsQueryResultStatus.Success);
    if (result.status === LogsQueryResultStatus.Success) {
      expect(result.tables[0]?.rows.map((row) => row[1])).toEqual([2, 7]);
    }
    await expect(client.queryWorkspace('00000000-0000-0000-0000-000000000000', query, { duration: 'PT1H' })).rejects.toMatchObject({ statusCode: 404 });
  });
});
