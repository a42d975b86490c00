/**
 * Contract test over Microsoft's own Event Grid samples: every AKS and Azure Policy sample in
 * `test/fixtures/eventgrid` (both schemas; sources in its README) is delivered to the registered
 * Event Grid functions the way the host delivers it, and must be understood: the right finding,
 * notice or re-evaluation, not merely "not rejected". The samples' data are used verbatim; only
 * their placeholders are filled: `topic`/`source`/`subject` name a real cluster and `id` is made
 * unique (every AKS sample has the same id, and a real topic never repeats one). Each AKS sample
 * gets a cluster of its own that runs the sample's own version and pool, so notices never collide.
 *
 * The samples' `data` is also checked against the event data schemas of azure-rest-api-specs
 * (copied verbatim to `test/fixtures/eventgrid/schemas`, sources in its SOURCES.json).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type AzureClients, createAzureClients } from '../../lib/app/clients.js';
import { encodePrincipal } from '../../lib/auth/principal.js';
import { parseConfig } from '../../lib/config.js';
import { NOTICE_RULE_IDS } from '../../lib/posture/noticeRules.js';
import type { JsonObject } from '../../tooling/simulator/snapshot.js';
import { type AppHost, startAppHost } from '../harness/appHost.js';
import { eventFixtureDirectory, eventFixtureNames, sampleEvent } from '../harness/eventFixtures.js';
import { uniqueTableName } from '../harness/tables.js';

const SUBSCRIPTION = '11111111-1111-1111-1111-111111111111';
const PAYMENTS = `/subscriptions/${SUBSCRIPTION}/resourceGroups/payments/providers/Microsoft.ContainerService/managedClusters/payments-prod`;
const CHECKOUT = `/subscriptions/${SUBSCRIPTION}/resourceGroups/checkout/providers/Microsoft.ContainerService/managedClusters/checkout-prod`;
const LEGACY =
  '/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/legacy/providers/Microsoft.ContainerService/managedClusters/legacy-reporting';

/** The cluster an AKS sample is delivered for: `aks-support-ended.cloudevents.json` → `support-ended-cloudevents`. */
function clusterName(fixture: string): string {
  return fixture
    .replace(/^aks-/, '')
    .replace(/\.json$/, '')
    .replace('.', '-');
}

function contractCluster(fixture: string): string {
  return `/subscriptions/${SUBSCRIPTION}/resourceGroups/contract/providers/Microsoft.ContainerService/managedClusters/${clusterName(fixture)}`;
}

function raw(fixture: string): { data: Record<string, unknown>; type: string } {
  const event = JSON.parse(readFileSync(path.join(eventFixtureDirectory, fixture), 'utf8')) as Record<string, unknown>;
  return { data: event['data'] as Record<string, unknown>, type: String(event['eventType'] ?? event['type']) };
}

/** Policy samples go to clusters of the sample fleet that have non-compliant states. */
const POLICY_CLUSTER: Record<string, string> = {
  'policy-state-created.eventgrid.json': `/subscriptions/${SUBSCRIPTION}/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev`,
  'policy-state-created.cloudevents.json': CHECKOUT,
  'policy-state-changed.eventgrid.json':
    '/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/batch/providers/Microsoft.ContainerService/managedClusters/batch-staging',
  'policy-state-changed.cloudevents.json':
    '/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/search/providers/Microsoft.ContainerService/managedClusters/search-prod',
};

describe('Event Grid contract: every AKS and Policy sample, delivered as the host delivers it, is understood', () => {
  let app: AppHost;
  let clients: AzureClients;

  const deliver = (functionName: 'aksEvents' | 'policyEvents', event: Record<string, unknown>) => app.host.invokeEventGrid(functionName, event);
  const lastLog = (functionName: string) => app.host.logsOf(functionName).at(-1)?.message ?? '';
  const findingsOf = async (clusterName: string) => (await clients.findings!.listFindings()).filter((finding) => finding.clusterName === clusterName);
  /** Findings of the rules Event Grid notices feed (support, rolling): what an AKS notice can open. */
  const noticeFindings = async (clusterName: string) =>
    (await findingsOf(clusterName)).filter((finding) => (NOTICE_RULE_IDS as readonly string[]).includes(finding.ruleId));
  const open = async (clusterName: string, ruleId: string) =>
    (await findingsOf(clusterName)).filter((finding) => finding.ruleId === ruleId && finding.status === 'open');

  beforeAll(async () => {
    app = await startAppHost({
      FLEETGUARD_FINDINGS_TABLE: uniqueTableName('cfindings'),
      FLEETGUARD_SWEEPS_TABLE: uniqueTableName('csweeps'),
      FLEETGUARD_EVENTS_TABLE: uniqueTableName('cevents'),
    });
    clients = createAzureClients(parseConfig(app.local.settings));
    // One cluster per AKS sample, on the sample's version with a pool of the sample's name.
    const template = app.local.simulator.fleet.clustersOf(SUBSCRIPTION).find((cluster) => String(cluster['name']) === 'payments-prod')!;
    for (const fixture of eventFixtureNames().filter((name) => name.startsWith('aks-'))) {
      const { data } = raw(fixture);
      const cluster = structuredClone(template);
      const properties = cluster['properties'] as JsonObject;
      const version = typeof data['kubernetesVersion'] === 'string' ? data['kubernetesVersion'] : String(properties['kubernetesVersion']);
      Object.assign(cluster, { id: contractCluster(fixture), name: clusterName(fixture) });
      Object.assign(properties, { kubernetesVersion: version, currentKubernetesVersion: version, dnsPrefix: clusterName(fixture) });
      properties['agentPoolProfiles'] = (properties['agentPoolProfiles'] as JsonObject[]).slice(0, 1).map((pool) => ({
        ...pool,
        name: typeof data['nodePoolName'] === 'string' ? data['nodePoolName'] : pool['name'],
        orchestratorVersion: version,
        currentOrchestratorVersion: version,
      }));
      app.local.simulator.fleet.putCluster(cluster);
    }
  });
  afterAll(() => app.close());

  it('has a fixture of every AKS and Policy event type the specs publish, in both schemas, but PolicyStateDeleted (no sample anywhere)', () => {
    const types = (schema: string) =>
      new Set(
        eventFixtureNames()
          .filter((name) => name.includes(`.${schema}.`))
          .map((name) => raw(name).type),
      );
    const published = new Set([
      ...schemaTypes('ContainerService.2018-01-01.json'),
      ...schemaTypes('ContainerService.2018-01-01.draft-pr23339.json'),
      ...schemaTypes('PolicyInsights.2018-01-01.json'),
    ]);
    published.delete('Microsoft.PolicyInsights.PolicyStateDeleted');
    expect(types('eventgrid')).toEqual(published);
    expect(types('cloudevents')).toEqual(published);
  });

  describe.each(eventFixtureNames().filter((name) => name.startsWith('aks-')))('%s', (fixture) => {
    it('matches the data schema azure-rest-api-specs gives for its type', () => {
      const { data, type } = raw(fixture);
      expect(dataSchemaMismatches(type, data)).toEqual([]);
    });
  });

  describe.each(eventFixtureNames().filter((name) => name.startsWith('policy-')))('%s', (fixture) => {
    it('matches the data schema azure-rest-api-specs gives for its type', () => {
      const { data, type } = raw(fixture);
      expect(dataSchemaMismatches(type, data)).toEqual([]);
    });
  });

  it('the two draft types are absent from the merged AKS schema, present in the draft one (test/fixtures/eventgrid/README.md)', () => {
    expect(schemaTypes('ContainerService.2018-01-01.json')).not.toContain('Microsoft.ContainerService.ClusterOutOfSupport');
    expect(schemaTypes('ContainerService.2018-01-01.json')).not.toContain('Microsoft.ContainerService.NodePoolRollingProgress');
    expect(schemaTypes('ContainerService.2018-01-01.draft-pr23339.json')).toEqual(
      expect.arrayContaining(['Microsoft.ContainerService.ClusterOutOfSupport', 'Microsoft.ContainerService.NodePoolRollingProgress']),
    );
  });

  /** What each AKS sample must do to its own cluster, the sample's data verbatim. */
  const aksExpectations: Record<string, (fixture: string, name: string) => Promise<void>> = {
    'aks-support-ending': async (_fixture, name) => {
      expect(lastLog('aksEvents')).toMatch(/: processed: notice stored; findings: 1 opened, 0 resolved$/);
      expect(await open(name, 'AKS-SUPPORT-ENDING')).toEqual([expect.objectContaining({ severity: 'high', subject: '1.24' })]);
    },
    'aks-support-ended': async (_fixture, name) => {
      expect(lastLog('aksEvents')).toMatch(/: processed: notice stored; findings: 1 opened, 0 resolved$/);
      expect(await open(name, 'AKS-SUPPORT-ENDED')).toEqual([expect.objectContaining({ severity: 'critical', subject: '1.23' })]);
    },
    'aks-out-of-support': async (fixture, name) => {
      // As published, the sample says `"isOutOfSupport": false`: nothing to record, nothing opened.
      expect(lastLog('aksEvents')).toMatch(/: ignored: data\.isOutOfSupport is false: Kubernetes 1\.23\.15 is not out of support, nothing recorded$/);
      expect(await noticeFindings(name)).toEqual([]);
      // The same sample saying `true` opens the critical support-ended finding at once.
      await deliver('aksEvents', sampleEvent(fixture, { cluster: contractCluster(fixture), id: `${fixture}:true`, data: { isOutOfSupport: true } }));
      expect(lastLog('aksEvents')).toMatch(/: processed: notice stored; findings: 1 opened, 0 resolved$/);
      expect(await open(name, 'AKS-SUPPORT-ENDED')).toEqual([expect.objectContaining({ severity: 'critical', subject: '1.23' })]);
    },
    'aks-nodepool-rolling-started': async (fixture) => {
      expect(lastLog('aksEvents')).toMatch(/: processed: notice stored; findings: 0 opened, 0 resolved$/);
      expect(await clients.notices!.poolRollingForCluster(contractCluster(fixture))).toEqual([
        { nodePool: 'nodepool1', state: 'Started', eventTime: '2023-03-29T18:00:00.000Z', reportedBy: 'NodePoolRollingStarted' },
      ]);
    },
    'aks-nodepool-rolling-succeeded': async (fixture) => {
      expect(lastLog('aksEvents')).toMatch(/: processed: notice stored; findings: 0 opened, 0 resolved$/);
      expect(await clients.notices!.poolRollingForCluster(contractCluster(fixture))).toEqual([
        expect.objectContaining({ nodePool: 'nodepool1', state: 'Succeeded', reportedBy: 'NodePoolRollingSucceeded' }),
      ]);
    },
    'aks-nodepool-rolling-failed': async (_fixture, name) => {
      expect(lastLog('aksEvents')).toMatch(/: processed: notice stored; findings: 1 opened, 0 resolved$/);
      expect(await open(name, 'AKS-NODEPOOL-ROLLING-FAILED')).toEqual([expect.objectContaining({ severity: 'high', subject: 'nodepool1' })]);
    },
    'aks-nodepool-rolling-progress': async (fixture, name) => {
      expect(lastLog('aksEvents')).toMatch(/: processed: rolling progress of pool nodepool1 recorded \(Started\); no finding$/);
      expect(await clients.notices!.poolRollingForCluster(contractCluster(fixture))).toEqual([
        { nodePool: 'nodepool1', state: 'Started', eventTime: '2023-03-29T18:00:00.000Z', reportedBy: 'NodePoolRollingProgress' },
      ]);
      expect(await noticeFindings(name)).toEqual([]);
    },
    'aks-new-kubernetes-version': async () => {
      // The catalog of the cluster's location is read and every cluster there re-evaluated: the
      // sample clusters on 1.23 and 1.24 (support-ended, out-of-support...) are unsupported.
      expect(lastLog('aksEvents')).toMatch(
        /: processed: versions of northeurope recorded \(1\.\d+(, 1\.\d+)*\); \d+ clusters re-evaluated; findings: \d+ opened/,
      );
      expect(await open('support-ended-eventgrid', 'AKS-VERSION-UNSUPPORTED')).toHaveLength(1);
    },
  };

  it.each(eventFixtureNames().filter((name) => name.startsWith('aks-')))('%s, delivered to aksEvents, is understood', async (fixture) => {
    const expectation = aksExpectations[fixture.replace(/\.(eventgrid|cloudevents)\.json$/, '')];
    if (expectation === undefined) throw new Error(`no expectation for ${fixture}: a new sample must say what it does`);
    const { type } = raw(fixture);
    const before = app.host.logsOf('aksEvents').length;
    await expect(deliver('aksEvents', sampleEvent(fixture, { cluster: contractCluster(fixture), id: fixture }))).resolves.toBeDefined();
    expect(app.host.logsOf('aksEvents').length).toBeGreaterThan(before);
    expect(lastLog('aksEvents')).toMatch(new RegExp(`^event id ${fixture.replace(/\./g, '\\.')}, type ${type.replace(/\./g, '\\.')}: `));
    await expectation(fixture, clusterName(fixture));
    // Only a processed event leaves a row: the out-of-support sample as published (`false`) is ignored.
    expect(await clients.notices!.wasProcessed(fixture)).toBe(!fixture.startsWith('aks-out-of-support'));
  });

  it.each(Object.keys(POLICY_CLUSTER))('%s, delivered to policyEvents, re-evaluates the policy findings of the cluster it names', async (fixture) => {
    const cluster = POLICY_CLUSTER[fixture]!;
    const name = cluster.split('/').at(-1)!;
    await deliver('policyEvents', sampleEvent(fixture, { cluster, id: fixture }));
    const opened = await open(name, 'POLICY-NONCOMPLIANT');
    expect(opened.length).toBeGreaterThan(0);
    expect(lastLog('policyEvents')).toBe(
      `event id ${fixture}, type ${raw(fixture).type}: processed: policy findings of ${name} re-evaluated; findings: ${opened.length} opened, 0 resolved`,
    );
  });

  it('PolicyStateDeleted (no published sample: the Created sample re-typed, data schema identical per PolicyInsights.json) resolves what Policy Insights no longer reports', async () => {
    const created = sampleEvent('policy-state-created.eventgrid.json', { cluster: LEGACY, id: 'legacy-created' });
    await deliver('policyEvents', created);
    const before = await open('legacy-reporting', 'POLICY-NONCOMPLIANT');
    expect(before.length).toBeGreaterThan(1);
    // Policy Insights drops one of the cluster's states (its assignment was deleted, say).
    const states = app.local.simulator.fleet.policyStates!['value'] as JsonObject[];
    const dropped = states.findIndex((state) => String(state['resourceId']).endsWith('/legacy-reporting') && state['complianceState'] === 'NonCompliant');
    const [removed] = states.splice(dropped, 1);
    try {
      const deleted = {
        ...sampleEvent('policy-state-created.cloudevents.json', {
          cluster: LEGACY,
          id: 'legacy-deleted',
          data: { timestamp: new Date(Date.now() + 60_000).toISOString() },
        }),
        type: 'Microsoft.PolicyInsights.PolicyStateDeleted',
      };
      await deliver('policyEvents', deleted);
      expect(lastLog('policyEvents')).toMatch(
        /^event id legacy-deleted, type Microsoft\.PolicyInsights\.PolicyStateDeleted: processed: policy findings of legacy-reporting re-evaluated; findings: 0 opened, [1-9]\d* resolved$/,
      );
      expect((await open('legacy-reporting', 'POLICY-NONCOMPLIANT')).length).toBeLessThan(before.length);
    } finally {
      states.splice(dropped, 0, removed!);
    }
  });

  it('an unknown event type is completed with a log line, not retried (thrown), in both functions and both schemas', async () => {
    const unknown: Array<readonly ['aksEvents' | 'policyEvents', Record<string, unknown>]> = [
      [
        'aksEvents',
        {
          ...sampleEvent('aks-support-ending.eventgrid.json', { cluster: PAYMENTS, id: 'unknown-aks' }),
          eventType: 'Microsoft.ContainerService.ClusterSomethingNew',
        },
      ],
      [
        'aksEvents',
        {
          ...sampleEvent('aks-support-ending.cloudevents.json', { cluster: PAYMENTS, id: 'unknown-aks-ce' }),
          type: 'Microsoft.ContainerService.NodePoolSomethingNew',
        },
      ],
      [
        'policyEvents',
        {
          ...sampleEvent('policy-state-changed.eventgrid.json', { cluster: PAYMENTS, id: 'unknown-policy' }),
          eventType: 'Microsoft.PolicyInsights.PolicyStateArchived',
        },
      ],
      ['policyEvents', sampleEvent('aks-support-ended.cloudevents.json', { cluster: PAYMENTS, id: 'unknown-foreign' })],
    ];
    for (const [functionName, event] of unknown) {
      await expect(deliver(functionName, event)).resolves.toBeDefined();
      const log = app.host.logsOf(functionName).at(-1);
      expect(log?.message).toMatch(
        new RegExp(
          `^event id ${String(event['id'])}, type [\\w.]+: ignored: (not an event type this function handles|not a Microsoft\\.PolicyInsights\\.\\* event)$`,
        ),
      );
      expect(log?.level.toLowerCase()).toBe('information');
    }
    // Completed, and no row is left: a redelivery is ignored again as cheaply, and junk cannot fill the table.
    expect(await clients.notices!.wasProcessed('unknown-aks')).toBe(false);
  });

  it('NodePoolRollingProgress is shown in the rollout status, per cluster and pool, since the rollout began; a later outcome supersedes it', async () => {
    const manager = encodePrincipal({ name: 'max@contoso.com', roles: ['Rollouts.Manage'] });
    const call = (name: string, options: { body?: unknown; id?: string } = {}) =>
      app.host.invokeHttp(name, {
        method: name === 'rolloutsGet' ? 'GET' : 'POST',
        path: `/api/rollouts${options.id ? `/${options.id}` : ''}`,
        headers: { 'x-ms-client-principal': manager },
        params: options.id === undefined ? {} : { id: options.id },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    const started = await call('rolloutsCreate', {
      body: {
        target: '1.32',
        scope: { clusterIds: [CHECKOUT] },
        waves: { explicit: [[CHECKOUT]] },
        waveSettings: { maxParallel: 1, soakMinutes: 0, requireApproval: false },
      },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const id = (started.body as { id: string }).id;
    await app.durable.run();
    const poolsOf = async () => {
      const status = (await call('rolloutsGet', { id })).body as { clusters: Array<{ resourceId: string; status: string; poolRolling?: unknown }> };
      return status.clusters.find((cluster) => cluster.resourceId.toLowerCase() === CHECKOUT.toLowerCase());
    };
    expect(await poolsOf()).toMatchObject({ status: 'Upgraded', poolRolling: [] });

    // Events naming a pool the cluster does not have are refused: give it the samples' pool, and `old`.
    app.local.simulator.fleet.updateClusterProperties(CHECKOUT, (properties) => {
      const pools = properties['agentPoolProfiles'] as JsonObject[];
      pools.push(...['nodepool1', 'old'].map((name) => ({ ...structuredClone(pools[0]!), name })));
    });
    const at = (minutes: number) => new Date(app.clock.now() + minutes * 60_000).toISOString();
    await deliver('aksEvents', sampleEvent('aks-nodepool-rolling-progress.cloudevents.json', { cluster: CHECKOUT, id: 'rollout-progress', time: at(1) }));
    // The sample's own time (2023) is before the rollout: an earlier upgrade's report, not shown.
    await deliver(
      'aksEvents',
      sampleEvent('aks-nodepool-rolling-progress.eventgrid.json', { cluster: CHECKOUT, id: 'rollout-progress-old', data: { nodePoolName: 'old' } }),
    );
    expect((await poolsOf())?.poolRolling).toEqual([{ nodePool: 'nodepool1', state: 'Started', eventTime: at(1), reportedBy: 'NodePoolRollingProgress' }]);

    await deliver('aksEvents', sampleEvent('aks-nodepool-rolling-succeeded.eventgrid.json', { cluster: CHECKOUT, id: 'rollout-succeeded', time: at(2) }));
    expect((await poolsOf())?.poolRolling).toEqual([{ nodePool: 'nodepool1', state: 'Succeeded', eventTime: at(2), reportedBy: 'NodePoolRollingSucceeded' }]);
    // A progress report older than the outcome arriving late does not bring it back.
    await deliver('aksEvents', sampleEvent('aks-nodepool-rolling-progress.eventgrid.json', { cluster: CHECKOUT, id: 'rollout-progress-late', time: at(1.5) }));
    expect((await poolsOf())?.poolRolling).toEqual([expect.objectContaining({ state: 'Succeeded', reportedBy: 'NodePoolRollingSucceeded' })]);
  });
});

interface SwaggerProperty {
  type?: string;
  enum?: unknown[];
}
interface SwaggerDefinition {
  properties?: Record<string, SwaggerProperty>;
  allOf?: Array<{ $ref: string }>;
}

const schemaDirectory = path.join(eventFixtureDirectory, 'schemas');

function swagger(file: string): Record<string, SwaggerDefinition> {
  const sources = JSON.parse(readFileSync(path.join(schemaDirectory, 'SOURCES.json'), 'utf8')) as Record<
    string,
    { repo: string; path: string; commit: string } | undefined
  >;
  if (!/^[0-9a-f]{40}$/.test(sources[file]?.commit ?? '')) throw new Error(`test/fixtures/eventgrid/schemas/SOURCES.json does not name ${file} with a commit`);
  return (JSON.parse(readFileSync(path.join(schemaDirectory, file), 'utf8')) as { definitions: Record<string, SwaggerDefinition> }).definitions;
}

/** The event types a data-plane schema defines (`ContainerServiceXEventData` → `Microsoft.ContainerService.X`). */
function schemaTypes(file: string): string[] {
  return Object.keys(swagger(file)).flatMap((name) => {
    const match = /^(ContainerService|PolicyInsights)(\w+)EventData$/.exec(name);
    return match === null ? [] : [`Microsoft.${match[1]}.${match[2]}`];
  });
}

/** Where a sample's data departs from the schema of its type: an undeclared field, another JSON type, a value off the enum. */
function dataSchemaMismatches(type: string, data: Record<string, unknown>): string[] {
  const [, provider, name] = /^Microsoft\.(ContainerService|PolicyInsights)\.(\w+)$/.exec(type) ?? [];
  const files =
    provider === 'PolicyInsights' ? ['PolicyInsights.2018-01-01.json'] : ['ContainerService.2018-01-01.json', 'ContainerService.2018-01-01.draft-pr23339.json'];
  const file = files.find((candidate) => swagger(candidate)[`${provider}${name}EventData`] !== undefined);
  if (file === undefined) return [`no schema defines ${type}`];
  const definitions = swagger(file);
  const properties: Record<string, SwaggerProperty> = {};
  const collect = (definition: SwaggerDefinition | undefined) => {
    Object.assign(properties, definition?.properties ?? {});
    for (const part of definition?.allOf ?? []) collect(definitions[part.$ref.replace('#/definitions/', '')]);
  };
  collect(definitions[`${provider}${name}EventData`]);
  return Object.entries(data).flatMap(([field, value]) => {
    const property = properties[field];
    if (property === undefined) return [`${field}: not in ${file}`];
    if (property.type !== undefined && typeof value !== property.type) return [`${field}: ${typeof value}, the schema says ${property.type}`];
    if (property.enum !== undefined && !property.enum.includes(value)) return [`${field}: ${String(value)} is not one of ${property.enum.join(', ')}`];
    return [];
  });
}
