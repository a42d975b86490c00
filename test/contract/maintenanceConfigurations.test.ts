/**
 * Contract tests over the official maintenance-window examples (2025-07-01):
 * `MaintenanceConfigurationsGet_MaintenanceWindow.json` (daily every 3 days at -07:00, two blackouts)
 * and `MaintenanceConfigurationsCreate_Update_MaintenanceWindow.json` (its response: weekly every
 * 3 weeks at +05:30, the same blackouts). (a) The simulator answers the GET with the example's shape,
 * blackouts included; (b) the adapter, fed the examples verbatim, carries the blackouts into the
 * window, so an upgrade that would have started inside a freeze waits for the next allowed window.
 */
import { createContainerService } from '@azure/arm-containerservice/api';
import { afterEach, describe, expect, it } from 'vitest';

import { clusterFromArmJson } from '../../lib/azure/armClusterJson.js';
import { ContainerServiceAdapter } from '../../lib/azure/containerService.js';
import { SimulatorCredential } from '../../lib/azure/credential.js';
import type { Cluster } from '../../lib/model/cluster.js';
import { nextMaintenanceWindow } from '../../lib/upgrades/maintenanceWindow.js';
import { MAINTENANCE_CONFIGURATION_TYPE } from '../../tooling/simulator/maintenanceRoutes.js';
import { type RunningSimulator, startSimulator } from '../../tooling/simulator/simulatorServer.js';
import type { JsonObject } from '../../tooling/simulator/snapshot.js';
import { exampleBody, type ExampleServer, restExample, shapeMismatches, startExampleServer } from '../harness/restContract.js';

const SERVICE = 'containerservice';
const GET_WINDOW = 'MaintenanceConfigurationsGet_MaintenanceWindow.2025-07-01.json';
const PUT_WINDOW = 'MaintenanceConfigurationsCreate_Update_MaintenanceWindow.2025-07-01.json';
const GET_CLUSTER = 'ManagedClustersGet.2025-07-01.json';
const VERSIONS = 'KubernetesVersions_List.2025-07-01.json';
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
const CLUSTER_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/clustername1`;

let simulator: RunningSimulator | undefined;
let server: ExampleServer | undefined;
afterEach(async () => {
  await simulator?.close();
  await server?.close();
  simulator = undefined;
  server = undefined;
});

type ConfigurationBody = { id: string; name: string; type?: string; properties: { maintenanceWindow: JsonObject } };

function exampleWindow(file: string): JsonObject {
  return exampleBody<ConfigurationBody>(SERVICE, file).properties.maintenanceWindow;
}

/** The example cluster, as the adapter would have listed it (id with `resourceGroups`, as ARM routes it). */
function exampleCluster(): Cluster {
  return { ...clusterFromArmJson(exampleBody(SERVICE, GET_CLUSTER)), id: CLUSTER_ID, resourceGroup: 'rg1', subscriptionId: SUBSCRIPTION };
}

async function simulatorWithWindow(window: JsonObject | undefined): Promise<RunningSimulator> {
  const running = await startSimulator({
    snapshot: {
      source: 'example',
      clusters: [exampleBody<JsonObject>(SERVICE, GET_CLUSTER)],
      versionsByLocation: new Map([['location1', exampleBody<JsonObject>(SERVICE, VERSIONS)]]),
      policyStates: undefined,
      logs: new Map(),
    },
  });
  const seeded = String(exampleBody<JsonObject>(SERVICE, GET_CLUSTER)['id']).toLowerCase();
  if (window !== undefined) running.upgrades.maintenanceWindows.set(seeded, window);
  return running;
}

describe('maintenanceConfigurations: the simulator answers the official example request', () => {
  it.each([GET_WINDOW, PUT_WINDOW])('GET .../maintenanceConfigurations/aksManagedAutoUpgradeSchedule has the shape of %s, blackouts included', async (file) => {
    const example = restExample(SERVICE, PUT_WINDOW);
    simulator = await simulatorWithWindow(exampleWindow(file));
    const rest = createContainerService(new SimulatorCredential(), SUBSCRIPTION, { endpoint: simulator.url, tlsOptions: { ca: simulator.caPem } });
    const response = await rest
      .pathUnchecked(`${CLUSTER_ID}/maintenanceConfigurations/${String(example.parameters['configName'])}`)
      .get({ queryParameters: { 'api-version': String(example.parameters['api-version']) } });
    expect(response.status).toBe('200');
    const body = response.body as ConfigurationBody;
    // `type` is returned for every ARM resource (Resource: id, name, type, systemData in the spec's
    // common types); the examples leave it out, so it is checked on its own.
    expect(body.type).toBe(MAINTENANCE_CONFIGURATION_TYPE);
    const withoutType: Partial<ConfigurationBody> = { ...body };
    delete withoutType.type;
    expect(shapeMismatches(withoutType, exampleBody(SERVICE, file))).toEqual([]);
    expect(body).toMatchObject({
      name: 'aksManagedAutoUpgradeSchedule',
      id: expect.stringMatching(/\/maintenanceConfigurations\/aksManagedAutoUpgradeSchedule$/),
    });
    expect(body.properties.maintenanceWindow).toEqual(exampleWindow(file));
  });

  it('a configuration that was never created is a 404 with an ARM error body', async () => {
    simulator = await simulatorWithWindow(undefined);
    const rest = createContainerService(new SimulatorCredential(), SUBSCRIPTION, { endpoint: simulator.url, tlsOptions: { ca: simulator.caPem } });
    const response = await rest
      .pathUnchecked(`${CLUSTER_ID}/maintenanceConfigurations/aksManagedAutoUpgradeSchedule`)
      .get({ queryParameters: { 'api-version': '2025-07-01' } });
    expect(response.status).toBe('404');
    expect(response.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  });

  it('the window read back through the adapter makes an upgrade inside the blackout wait for the next allowed window', async () => {
    // The simulator holds the Create_Update example's window: weekly every 3 weeks on Monday 08:30 +05:30 from 2023-01-01 (a Sunday),
    // blackouts 2023-02-18..02-25 and 2023-12-23..2024-01-05. Monday 2023-12-25 is a window (week 51), inside the freeze.
    simulator = await simulatorWithWindow(exampleWindow(PUT_WINDOW));
    const adapter = new ContainerServiceAdapter(
      new SimulatorCredential(),
      { kind: 'simulator', armEndpoint: simulator.url, caPem: simulator.caPem },
      { maxRetries: 0 },
    );
    const window = await adapter.autoUpgradeWindow(exampleCluster());
    expect(window?.notAllowedDates).toEqual([
      { start: '2023-02-18', end: '2023-02-25' },
      { start: '2023-12-23', end: '2024-01-05' },
    ]);
    const verdict = nextMaintenanceWindow(window!, new Date('2023-12-24T12:00:00Z'));
    expect(verdict).toMatchObject({ kind: 'wait', opensAt: '2024-01-15T03:00:00.000Z', blackout: { start: '2023-12-23', end: '2024-01-05' } });
  });
});

describe('maintenanceConfigurations: the adapter reads the official examples verbatim', () => {
  it('the Create_Update response: weekly schedule, offset, start date and both blackouts', async () => {
    server = await startExampleServer([
      { method: 'GET', path: `${CLUSTER_ID}/maintenanceConfigurations/aksManagedAutoUpgradeSchedule`, status: 200, body: exampleBody(SERVICE, PUT_WINDOW) },
    ]);
    const adapter = new ContainerServiceAdapter(
      new SimulatorCredential(),
      { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem },
      { maxRetries: 0 },
    );
    const window = await adapter.autoUpgradeWindow(exampleCluster());
    expect(window).toEqual({
      schedule: { weekly: { intervalWeeks: 3, dayOfWeek: 'Monday' } },
      durationHours: 10,
      utcOffset: '+05:30',
      startDate: '2023-01-01',
      startTime: '08:30',
      notAllowedDates: [
        { start: '2023-02-18', end: '2023-02-25' },
        { start: '2023-12-23', end: '2024-01-05' },
      ],
    });
    // Outside a blackout the window opens as scheduled: Monday 2023-02-13 (week 6) at 08:30 +05:30.
    expect(nextMaintenanceWindow(window!, new Date('2023-02-01T00:00:00Z'))).toEqual({ kind: 'wait', opensAt: '2023-02-13T03:00:00.000Z' });
    // Inside the February blackout: the next window after it is 2023-03-06 (week 9).
    expect(nextMaintenanceWindow(window!, new Date('2023-02-20T00:00:00Z'))).toMatchObject({ kind: 'wait', opensAt: '2023-03-06T03:00:00.000Z' });
  });

  it('the Get response and the Create_Update request: daily and relative-monthly schedules, computed', async () => {
    server = await startExampleServer([
      { method: 'GET', path: /\/maintenanceConfigurations\/aksManagedAutoUpgradeSchedule$/, status: 200, body: exampleBody(SERVICE, GET_WINDOW) },
    ]);
    const adapter = new ContainerServiceAdapter(
      new SimulatorCredential(),
      { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem },
      { maxRetries: 0 },
    );
    const daily = await adapter.autoUpgradeWindow(exampleCluster());
    expect(daily).toMatchObject({
      schedule: { daily: { intervalDays: 3 } },
      utcOffset: '-07:00',
      startDate: '2023-01-01',
      startTime: '09:30',
      notAllowedDates: [
        { start: '2023-02-18', end: '2023-02-25' },
        { start: '2023-12-23', end: '2024-01-05' },
      ],
    });
    // Every 3 days from 2023-01-01: 12-21, 12-24 ... 01-05 are frozen; 2024-01-08 09:30 -07:00 is the next allowed.
    expect(nextMaintenanceWindow(daily!, new Date('2023-12-22T00:00:00Z'))).toMatchObject({ kind: 'wait', opensAt: '2024-01-08T16:30:00.000Z' });
    // The request body of Create_Update asks for the first Monday every 3 months (Jan, Apr, Jul, Oct) at 08:30 +05:30.
    const requested = (restExample(SERVICE, PUT_WINDOW).parameters['parameters'] as { properties: { maintenanceWindow: JsonObject } }).properties
      .maintenanceWindow;
    await server.close();
    server = await startExampleServer([
      {
        method: 'GET',
        path: /\/maintenanceConfigurations\/aksManagedAutoUpgradeSchedule$/,
        status: 200,
        body: { name: 'aksManagedAutoUpgradeSchedule', properties: { maintenanceWindow: requested } },
      },
    ]);
    const relative = await new ContainerServiceAdapter(
      new SimulatorCredential(),
      { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem },
      { maxRetries: 0 },
    ).autoUpgradeWindow(exampleCluster());
    expect(relative?.schedule).toEqual({ relativeMonthly: { intervalMonths: 3, weekIndex: 'First', dayOfWeek: 'Monday' } });
    // First Monday of January 2024 is the 1st, inside the freeze; the next is the first Monday of April, the 1st.
    expect(nextMaintenanceWindow(relative!, new Date('2023-12-01T00:00:00Z'))).toMatchObject({
      kind: 'wait',
      opensAt: '2024-04-01T03:00:00.000Z',
      blackout: { start: '2023-12-23', end: '2024-01-05' },
    });
  });
});
