/**
 * Diagnostic settings (AKS-AUDIT-LOGS) through the app's adapter over HTTPS to the simulator's
 * DiagnosticSettings_List (Microsoft.Insights 2021-05-01-preview, azure-rest-api-specs
 * `specification/monitor/resource-manager/Microsoft.Insights/preview/2021-05-01-preview/diagnosticsSettings_API.json`),
 * and the sweep's in-cluster stage reading them: a cluster the snapshot's `diagnosticSettings.json`
 * does not name is not evaluated (coverage), one it names with no setting is a finding.
 */
import { request } from 'node:https';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sweepDependencies } from '../../lib/app/clients.js';
import { clusterFromArmJson } from '../../lib/azure/armClusterJson.js';
import { createCredential } from '../../lib/azure/credential.js';
import { DiagnosticSettingsAdapter, diagnosticSettingsPath } from '../../lib/azure/diagnosticSettings.js';
import type { Cluster } from '../../lib/model/cluster.js';
import { runSweep } from '../../lib/sweep/runSweep.js';
import { generateFleet } from '../../tooling/simulator/fleetGenerator.js';
import type { FleetSnapshot, JsonObject } from '../../tooling/simulator/snapshot.js';
import { snapshotModeDiagnosticsReader } from '../../tooling/simulator/snapshotDiagnostics.js';
import { snapshotInClusterReader } from '../../tooling/simulator/snapshotKubernetes.js';
import { startTestFleet, type TestFleet } from '../harness/localFleet.js';

function settingsBody(clusterId: string, logs: JsonObject[]): JsonObject {
  return {
    value: [
      {
        id: `${clusterId}/providers/microsoft.insights/diagnosticSettings/aks-audit`,
        type: 'Microsoft.Insights/diagnosticSettings',
        name: 'aks-audit',
        properties: { workspaceId: '/subscriptions/x/resourceGroups/ops/providers/Microsoft.OperationalInsights/workspaces/w', logs },
      },
    ],
  };
}

function rawGet(fleet: TestFleet, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${fleet.local.simulator.url}${path}`, { ca: fleet.local.simulator.caPem, headers: { authorization: 'Bearer t' } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('diagnostic settings through the adapter and the simulator', () => {
  let fleet: TestFleet;
  let snapshot: FleetSnapshot;
  let clusters: Cluster[];

  beforeAll(async () => {
    snapshot = generateFleet({ clusters: 3, subscriptions: 1, locations: 1 });
    clusters = snapshot.clusters.map((body) => clusterFromArmJson(body));
    const [audited, bare] = clusters;
    snapshot.diagnosticSettings = new Map([
      [
        audited?.id.toLowerCase() ?? '',
        settingsBody(audited?.id ?? '', [
          { category: 'kube-audit-admin', enabled: true },
          { category: 'guard', enabled: true },
        ]),
      ],
      [bare?.id.toLowerCase() ?? '', { value: [] }],
    ]);
    fleet = await startTestFleet({ snapshot });
  });
  afterAll(() => fleet.close());

  it('lists a cluster’s settings as ARM returns them, and none for a cluster without any', async () => {
    const adapter = new DiagnosticSettingsAdapter(createCredential(fleet.local.config.azure), fleet.local.config.azure, { maxRetries: 0 });
    const [audited, bare, unnamed] = clusters as [Cluster, Cluster, Cluster];
    expect(await adapter.listDiagnosticSettings(audited)).toEqual([
      {
        name: 'aks-audit',
        logs: [
          { category: 'kube-audit-admin', categoryGroup: undefined, enabled: true },
          { category: 'guard', categoryGroup: undefined, enabled: true },
        ],
      },
    ]);
    expect(await adapter.listDiagnosticSettings(bare)).toEqual([]);
    expect(await adapter.listDiagnosticSettings(unnamed)).toEqual([]);
    await expect(adapter.listDiagnosticSettings({ ...audited, id: audited.id.replace(/[^/]+$/, 'gone'), name: 'gone' })).rejects.toMatchObject({
      reason: 'clientError',
      message: expect.stringContaining('HTTP 404 ResourceNotFound') as unknown,
    });
  });

  it('refuses an api-version the operation does not have, as ARM does', async () => {
    const path = diagnosticSettingsPath((clusters[0] as Cluster).id).replace('2021-05-01-preview', '2016-09-01');
    const response = await rawGet(fleet, path);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: 'InvalidResourceType', message: expect.stringContaining('2021-05-01-preview') as unknown } });
  });

  it('the in-cluster stage evaluates AKS-AUDIT-LOGS for the clusters the snapshot names, one call each', async () => {
    const [audited, bare, unnamed] = clusters as [Cluster, Cluster, Cluster];
    fleet.local.simulator.requests.clear();
    const result = await runSweep(
      {
        ...sweepDependencies(fleet.clients),
        inCluster: snapshotInClusterReader(new Map()),
        diagnostics: snapshotModeDiagnosticsReader(fleet.local, snapshot),
      },
      { subscriptions: [], concurrency: 4, trigger: 'test' },
    );
    const audit = result.findings.filter((finding) => finding.ruleId === 'AKS-AUDIT-LOGS');
    expect(audit.map((finding) => finding.resourceId)).toEqual([bare.id]);
    expect(fleet.local.simulator.requests.count('insights.listDiagnosticSettings', 200)).toBe(2);
    expect([audited.id, unnamed.id].every((id) => !audit.some((finding) => finding.resourceId === id))).toBe(true);
  });
});
