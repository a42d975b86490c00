import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAzureClients } from '../../lib/app/clients.js';
import { encodePrincipal } from '../../lib/auth/principal.js';
import { parseConfig } from '../../lib/config.js';
import { type DurableClientShim, startDurableClientShim } from '../../tooling/local/durableClientShim.js';
import { LocalDurableHost, VirtualClock } from '../../tooling/local/durableHost.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { type RunningSink, startWebhookSink } from '../../tooling/simulator/webhookSink.js';
import { ROUTES_YAML, SECRETS } from '../harness/alerts.js';
import { sampleEvent } from '../harness/eventFixtures.js';
import { LocalFunctionsHost } from '../harness/functionsHost.js';
import { azuriteConnectionString, azuriteTable, uniqueTableName } from '../harness/tables.js';

const WEB_DEV = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev';
const reader = encodePrincipal({ name: 'rita@contoso.com', roles: ['Alerts.Read'] });
const manager = encodePrincipal({ name: 'max@contoso.com', roles: ['Alerts.Manage'] });
const stranger = encodePrincipal({ name: 'sam@contoso.com', roles: ['Rollouts.Read'] });

describe('alerting through the registered functions', () => {
  let local: LocalAzure;
  let sink: RunningSink;
  let host: LocalFunctionsHost;
  let durable: LocalDurableHost;
  let shim: DurableClientShim;
  const tables = {
    findings: uniqueTableName('afind'),
    sweeps: uniqueTableName('asweep'),
    events: uniqueTableName('aevent'),
    alerts: uniqueTableName('aalert'),
  };

  beforeAll(async () => {
    sink = await startWebhookSink();
    local = await startLocalAzure({
      snapshot: loadSnapshot(sampleFleetDirectory()),
      tablesConnectionString: azuriteConnectionString(),
      settings: {
        FLEETGUARD_FINDINGS_TABLE: tables.findings,
        FLEETGUARD_SWEEPS_TABLE: tables.sweeps,
        FLEETGUARD_EVENTS_TABLE: tables.events,
        FLEETGUARD_ALERTS_TABLE: tables.alerts,
        FLEETGUARD_ALERT_ROUTES: ROUTES_YAML,
        FLEETGUARD_ALERT_ENDPOINT: sink.url,
        ...SECRETS,
      },
    });
    Object.assign(process.env, local.settings);
    host = await LocalFunctionsHost.load('../../functions/index.ts');
    // The in-cluster checks run on their own schedule, as a Durable fan-out (functions/inClusterSweep.ts).
    durable = new LocalDurableHost(host, new VirtualClock());
    shim = await startDurableClientShim(durable);
    host.bindingInputs.set('durableClient', { string: JSON.stringify(shim.clientData) });
  });
  afterAll(async () => {
    await shim.close();
    await local.close();
    await sink.close();
  });

  it('registers the drain timer and the silences API', () => {
    expect(host.triggerBinding('alertDrain')[1]).toMatchObject({ type: 'timerTrigger', schedule: '*/30 * * * * *', runOnStartup: false });
    expect(host.triggerBinding('silencesCreate')[1]).toMatchObject({ type: 'httpTrigger', route: 'silences', methods: ['POST'] });
    expect(host.triggerBinding('silencesExpire')[1]).toMatchObject({ type: 'httpTrigger', route: 'silences/{id}', methods: ['DELETE'] });
  });

  it('a sweep queues alerts; the drain delivers them; the next sweep repeats nothing', async () => {
    await host.invokeTimer('fleetSweep');
    await host.invokeTimer('inClusterSweep');
    await durable.run();
    expect(sink.deliveries).toHaveLength(0);
    await host.invokeTimer('alertDrain');
    const pages = sink.deliveries.filter((delivery) => delivery.kind === 'pagerduty');
    const digests = sink.deliveries.filter((delivery) => delivery.kind === 'slack');
    // High and critical findings page (17: 15 from ARM, policy and logs, 2 from inside the clusters,
    // read through the Kubernetes API stand-in the sample fleet's kubernetes/ folders start, by the
    // in-cluster fan-out on its own schedule); the Slack digest groups each run's changes by
    // subscription (3 from the fleet sweep, 3 from the in-cluster run: its AKS-AUDIT-LOGS findings, read
    // from ARM on the in-cluster schedule, are in every subscription).
    const pageClasses = pages.map((delivery) => (delivery.body as { payload: { class: string } }).payload.class);
    expect(pageClasses.filter((ruleId) => ruleId.startsWith('K8S-')).sort()).toEqual(['K8S-CLUSTER-ADMIN-BINDING', 'K8S-PRIVILEGED-POD']);
    expect(pages).toHaveLength(17);
    expect(digests).toHaveLength(6);
    expect(pages.every((delivery) => (delivery.body as { routing_key: string }).routing_key === SECRETS.PD_KEY)).toBe(true);
    expect(host.logsOf('alertDrain').at(-1)?.message).toBe('alert drain: 23 sent, 0 to retry, 0 failed, 0 uncertain, 0 resent after an interruption');
    const sweeps = createAzureClients(parseConfig(local.settings)).sweeps!;
    // 15 pages and 3 digests from the fleet sweep, 2 pages and 3 digests from the in-cluster run.
    expect((await sweeps.latest(1))[0]).toMatchObject({ alertsQueued: 18, alertsSilenced: 0, alertsInhibited: 0 });
    expect((await sweeps.latestInCluster(1))[0]).toMatchObject({ alertsQueued: 5, trigger: 'inCluster' });

    const before = sink.deliveries.length;
    await host.invokeTimer('fleetSweep');
    await host.invokeTimer('inClusterSweep');
    await durable.run();
    await host.invokeTimer('alertDrain');
    expect(sink.deliveries.length).toBe(before);
  });

  it('an Event Grid reaction alerts at once; a silence holds the next one back', async () => {
    const before = sink.deliveries.length;
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-nodepool-rolling-failed.eventgrid.json', {
        cluster: WEB_DEV,
        id: 'alert-roll-1',
        time: '2026-11-22T10:00:00Z',
        data: { nodePoolName: 'system' },
      }),
    );
    await host.invokeTimer('alertDrain');
    const fresh = sink.deliveries.slice(before);
    expect(fresh.map((delivery) => delivery.kind).sort()).toEqual(['pagerduty', 'slack']);
    expect((fresh.find((delivery) => delivery.kind === 'pagerduty')?.body as { payload: { class: string } }).payload.class).toBe('AKS-NODEPOOL-ROLLING-FAILED');

    const created = await host.invokeHttp('silencesCreate', {
      method: 'POST',
      path: '/api/silences',
      headers: { 'x-ms-client-principal': manager },
      body: JSON.stringify({ matchers: { ruleId: 'AKS-SUPPORT-ENDING', cluster: 'web-dev' }, duration: '2h', comment: 'upgrade booked for Friday' }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ createdBy: 'max@contoso.com', matchers: { ruleId: 'AKS-SUPPORT-ENDING', cluster: 'web-dev' } });
    const mid = sink.deliveries.length;
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-support-ending.eventgrid.json', { cluster: WEB_DEV, id: 'alert-ending-1', data: { kubernetesVersion: '1.30.4' } }),
    );
    await host.invokeTimer('alertDrain');
    expect(sink.deliveries.length).toBe(mid);
  });

  it('silences API: who may do what', async () => {
    const body = JSON.stringify({ matchers: { ruleId: 'AKS-ENTRA' }, duration: '1h', comment: 'why not' });
    const matrix: Array<[string, string | undefined, number]> = [
      ['silencesList', undefined, 401],
      ['silencesList', stranger, 403],
      ['silencesList', reader, 200],
      ['silencesList', manager, 200],
      ['silencesCreate', undefined, 401],
      ['silencesCreate', stranger, 403],
      ['silencesCreate', reader, 403],
      ['silencesCreate', manager, 201],
      ['silencesExpire', undefined, 401],
      ['silencesExpire', reader, 403],
    ];
    for (const [name, principal, status] of matrix) {
      const response = await host.invokeHttp(name, {
        method: name === 'silencesList' ? 'GET' : name === 'silencesCreate' ? 'POST' : 'DELETE',
        path: '/api/silences',
        headers: principal === undefined ? {} : { 'x-ms-client-principal': principal },
        params: { id: '00000000-0000-0000-0000-000000000000' },
        body: name === 'silencesCreate' ? body : undefined,
      });
      expect(
        response.status,
        `${name} as ${principal === undefined ? 'anonymous' : principal === reader ? 'reader' : principal === manager ? 'manager' : 'stranger'}`,
      ).toBe(status);
    }
  });

  it('silences API: bad input is a 400 naming the field; expire works once', async () => {
    const post = (body: string) =>
      host.invokeHttp('silencesCreate', { method: 'POST', path: '/api/silences', headers: { 'x-ms-client-principal': manager }, body });
    expect(await post('not json')).toMatchObject({ status: 400, body: { error: 'body: must be JSON' } });
    expect(await post(JSON.stringify({ matchers: {}, duration: '1h', comment: 'x' }))).toMatchObject({
      status: 400,
      body: { error: 'a silence needs at least one matcher (rule, cluster, subscription, severity or tag)' },
    });
    expect((await post(JSON.stringify({ matchers: { ruleId: 'X' }, duration: 'forever', comment: 'x' }))).body).toEqual({
      error: 'duration: must be a duration such as 2h or 1d',
    });
    expect((await post(JSON.stringify({ matchers: { ruleId: 'X' }, duration: '60d', comment: 'x' }))).body).toEqual({ error: 'duration: at most 30d' });
    expect((await post(JSON.stringify({ matchers: { ruleId: 'X', owner: 'me' }, duration: '1h', comment: 'x' }))).status).toBe(400);
    const created = (await post(JSON.stringify({ matchers: { ruleId: 'X' }, duration: '1h', comment: 'x' }))).body as { id: string };
    const expire = () =>
      host.invokeHttp('silencesExpire', {
        method: 'DELETE',
        path: `/api/silences/${created.id}`,
        headers: { 'x-ms-client-principal': manager },
        params: { id: created.id },
      });
    expect((await expire()).status).toBe(200);
    const list = (await host.invokeHttp('silencesList', { method: 'GET', path: '/api/silences', headers: { 'x-ms-client-principal': reader } })).body as {
      silences: Array<{ id: string; active: boolean }>;
    };
    expect(list.silences.find((silence) => silence.id === created.id)?.active).toBe(false);
    expect(
      (
        await host.invokeHttp('silencesExpire', {
          method: 'DELETE',
          path: '/api/silences/x',
          headers: { 'x-ms-client-principal': manager },
          params: { id: 'not-an-id' },
        })
      ).status,
    ).toBe(400);
  });

  it('no secret appears in any log line or stored row, even after failed deliveries', async () => {
    sink.failNext('*', 3, { status: 500 });
    await host.invokeEventGrid(
      'aksEvents',
      sampleEvent('aks-nodepool-rolling-failed.cloudevents.json', {
        cluster: WEB_DEV,
        id: 'alert-roll-2',
        time: '2026-11-22T12:00:00Z',
        data: { nodePoolName: 'spot' },
      }),
    );
    await host.invokeTimer('alertDrain');
    const secrets = Object.values(SECRETS);
    const leaks: string[] = [];
    for (const log of host.logs) for (const secret of secrets) if (log.message.includes(secret)) leaks.push(`log: ${log.message.slice(0, 80)}`);
    for (const name of Object.values(tables)) {
      for await (const row of azuriteTable(name).listEntities()) {
        const text = JSON.stringify(row);
        for (const secret of secrets) if (text.includes(secret)) leaks.push(`${name}: ${text.slice(0, 80)}`);
      }
    }
    expect(leaks).toEqual([]);
    // The failure was recorded (so the scan covered rows with vendor answers in them).
    expect(host.logsOf('alertDrain').at(-1)?.message).toMatch(/to retry/);
  });
});
