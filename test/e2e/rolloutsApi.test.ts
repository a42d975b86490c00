import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodePrincipal } from '../../lib/auth/principal.js';
import type { LocalDurableHost } from '../../tooling/local/durableHost.js';
import type { LocalAzure } from '../../tooling/simulator/localAzure.js';
import { type AppHost, startAppHost } from '../harness/appHost.js';
import { untagSampleEnvironments } from '../harness/clusters.js';
import type { LocalFunctionsHost } from '../harness/functionsHost.js';

const reader = encodePrincipal({ name: 'rita@contoso.com', roles: ['Rollouts.Read'] });
const manager = encodePrincipal({ name: 'max@contoso.com', roles: ['Rollouts.Manage'] });
const alerts = encodePrincipal({ name: 'sam@contoso.com', roles: ['Alerts.Manage'] });

const START = {
  target: '1.32',
  waves: { byTag: 'ring' },
  waveSettings: { maxParallel: 2, soakMinutes: 10, requireApproval: false },
  allowMultiMinorHops: true,
};

describe('rollouts HTTP API, invoked as the host invokes it', () => {
  let local: LocalAzure;
  let host: LocalFunctionsHost;
  let durable: LocalDurableHost;
  let app: AppHost;

  const call = (name: string, principal: string | undefined, options: { body?: unknown; id?: string } = {}) =>
    host.invokeHttp(name, {
      method: name === 'rolloutsList' || name === 'rolloutsGet' ? 'GET' : 'POST',
      path: `/api/rollouts${options.id ? `/${options.id}` : ''}`,
      headers: principal === undefined ? {} : { 'x-ms-client-principal': principal },
      params: options.id === undefined ? {} : { id: options.id },
      ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
    });

  /** Puts a cluster back on an older version in the simulator, so a new rollout has work to do. */
  const setVersion = (name: string, resourceGroup: string, subscription: string, version: string) => {
    const id = `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`;
    // As if it had never been upgraded: an injected anomaly starts only after its next upgrade.
    local.simulator.upgrades.upgradedAt.delete(id.toLowerCase());
    local.simulator.fleet.updateClusterProperties(id, (properties) => {
      properties['kubernetesVersion'] = properties['currentKubernetesVersion'] = version;
      for (const pool of properties['agentPoolProfiles'] as Array<Record<string, unknown>>)
        pool['orchestratorVersion'] = pool['currentOrchestratorVersion'] = version;
    });
  };

  /** Runs the host until the rollout reaches `state` (before any deadline timer fires). */
  const runUntil = (id: string, state: string) =>
    durable.run({ until: () => (durable.getStatus(id)?.customStatus as { status?: string } | null)?.status === state });

  beforeAll(async () => {
    app = await startAppHost();
    untagSampleEnvironments(app.local.simulator.fleet);
    ({ local, host, durable } = app);
  });
  afterAll(() => app.close());

  it('registers the endpoints with function-level keys and a durable client input', () => {
    const [, trigger] = host.triggerBinding('rolloutsCreate');
    expect(trigger).toMatchObject({ type: 'httpTrigger', authLevel: 'function', route: 'rollouts', methods: ['POST'] });
    expect(Object.values(host.get('rolloutsApprove').metadata.bindings).map((binding) => binding.type)).toContain('durableClient');
  });

  it('authorization: reads need Rollouts.Read, writes Rollouts.Manage', async () => {
    const id = '00000000-0000-0000-0000-000000000000';
    const matrix: Array<[string, string | undefined, number]> = [
      ['rolloutsList', undefined, 401],
      ['rolloutsList', alerts, 403],
      ['rolloutsList', reader, 200],
      ['rolloutsList', manager, 200],
      ['rolloutsGet', reader, 404],
      ['rolloutsCreate', undefined, 401],
      ['rolloutsCreate', reader, 403],
      ['rolloutsCreate', alerts, 403],
      ['rolloutsApprove', reader, 403],
      ['rolloutsResume', reader, 403],
      ['rolloutsAbort', reader, 403],
      ['rolloutsAbort', manager, 404],
    ];
    for (const [name, principal, status] of matrix) {
      const response = await call(name, principal, { id, body: { ...START, dryRun: true } });
      expect(
        response.status,
        `${name} ${principal === reader ? 'reader' : principal === manager ? 'manager' : principal === alerts ? 'alerts-only' : 'anonymous'}`,
      ).toBe(status);
    }
  });

  it('bad bodies are 400 naming the field; a dry run returns the plan and starts nothing', async () => {
    expect(await call('rolloutsCreate', manager, { body: 'nope' })).toMatchObject({ status: 400, body: { error: 'body: must be JSON' } });
    expect((await call('rolloutsCreate', manager, { body: { ...START, target: 'latest' } })).body).toEqual({
      error: 'target: must be a Kubernetes version such as 1.32 or 1.32.4',
    });
    expect(
      (await call('rolloutsCreate', manager, { body: { ...START, waveSettings: { maxParallel: 0, soakMinutes: 1, requireApproval: false } } })).body,
    ).toMatchObject({ error: expect.stringMatching(/^waveSettings\.maxParallel/) });
    expect((await call('rolloutsCreate', manager, { body: { ...START, colour: 'blue' } })).status).toBe(400);
    expect((await call('rolloutsCreate', manager, { body: { ...START, target: '1.40' } })).body).toEqual({
      error: expect.stringMatching(/^target: Kubernetes 1.40 is not offered/),
    });
    const dry = await call('rolloutsCreate', manager, { body: { ...START, dryRun: true } });
    expect(dry.status).toBe(200);
    expect((dry.body as { plan: { waves: Array<{ name: string }> } }).plan.waves.map((wave) => wave.name)).toEqual(['0', '1', '2']);
    expect(durable.listInstances()).toEqual([]);
  });

  it('start → wait for approval → approve (recorded with the principal) → completed; wrong-state actions are 409', async () => {
    const started = await call('rolloutsCreate', manager, { body: { ...START, waveOverrides: { '2': { requireApproval: true } } } });
    expect(started.status).toBe(202);
    const id = (started.body as { id: string }).id;
    await runUntil(id, 'WaitingForApproval');
    const waiting = await call('rolloutsGet', reader, { id });
    expect(waiting.body).toMatchObject({ runtimeStatus: 'Running', customStatus: { status: 'WaitingForApproval', wave: '2' } });
    expect((await call('rolloutsResume', manager, { id })).status).toBe(409);
    expect((await call('rolloutsApprove', manager, { id })).status).toBe(202);
    await durable.run();
    const done = await call('rolloutsGet', reader, { id });
    expect(done.body).toMatchObject({ runtimeStatus: 'Completed', output: { status: 'Completed' } });
    expect((done.body as { actions: Array<{ action: string; by: string }> }).actions.map((action) => [action.action, action.by]).sort()).toEqual([
      ['approve', 'max@contoso.com'],
      ['start', 'max@contoso.com'],
    ]);
    expect((await call('rolloutsApprove', manager, { id })).status).toBe(409);
    // The rollout history in Tables: every cluster's final status.
    const history = (done.body as { clusters: Array<{ resourceId: string; wave: string; status: string }> }).clusters;
    expect(history.find((cluster) => cluster.resourceId.endsWith('/checkout-prod'))).toMatchObject({ wave: '2', status: 'Upgraded' });
    expect(history.find((cluster) => cluster.resourceId.endsWith('/legacy-reporting'))).toMatchObject({ wave: '1', status: 'Excluded' });
    const list = (await call('rolloutsList', reader)).body as { rollouts: Array<{ rolloutId: string; requestedBy: string }> };
    expect(list.rollouts.map((rollout) => rollout.rolloutId)).toContain(id);
  });

  it('resume re-runs the failed gate: refused while it still fails, continues once it passes', async () => {
    setVersion('checkout-prod', 'checkout', '11111111-1111-1111-1111-111111111111', '1.31.3');
    local.simulator.upgrades.anomalousClusters.add('checkout-prod');
    const id = ((await call('rolloutsCreate', manager, { body: START })).body as { id: string }).id;
    await runUntil(id, 'Halted');
    const first = await call('rolloutsResume', manager, { id });
    expect(first.status, JSON.stringify([first.body, durable.getStatus(id)])).toBe(202);
    await durable.run({ until: () => /resume refused/.test(String((durable.getStatus(id)?.customStatus as { haltReason?: string } | null)?.haltReason)) });
    expect((await call('rolloutsGet', reader, { id })).body).toMatchObject({
      runtimeStatus: 'Running',
      customStatus: {
        status: 'Halted',
        haltReason: expect.stringMatching(/^resume refused, the gate still fails: (failed-api-auth|crashloop|node-not-ready) rose/),
      },
    });
    // The anomaly clears; the next resume passes the gate and the rollout goes on.
    local.simulator.upgrades.anomalousClusters.delete('checkout-prod');
    expect((await call('rolloutsResume', manager, { id })).status).toBe(202);
    await durable.run({ until: () => durable.getStatus(id)?.runtimeStatus === 'Completed' });
    expect((await call('rolloutsGet', reader, { id })).body).toMatchObject({ runtimeStatus: 'Completed', output: { status: 'Completed' } });
    const actions = ((await call('rolloutsGet', reader, { id })).body as { actions: Array<{ action: string }> }).actions.map((action) => action.action).sort();
    expect(actions).toEqual(['resume', 'resume', 'start']);
  });

  it('a halted rollout waits; abort ends it', async () => {
    local.simulator.upgrades.anomalousClusters.add('search-prod');
    setVersion('search-prod', 'search', '22222222-2222-2222-2222-222222222222', '1.31.4');
    const id = ((await call('rolloutsCreate', manager, { body: START })).body as { id: string }).id;
    await runUntil(id, 'Halted');
    expect((await call('rolloutsGet', reader, { id })).body).toMatchObject({
      runtimeStatus: 'Running',
      customStatus: { status: 'Halted', haltReason: expect.stringContaining('search-prod') },
    });
    expect((await call('rolloutsApprove', manager, { id })).status).toBe(409);
    expect((await call('rolloutsAbort', manager, { id })).status).toBe(202);
    await durable.run();
    expect((await call('rolloutsGet', reader, { id })).body).toMatchObject({ runtimeStatus: 'Completed', output: { status: 'Aborted' } });
    expect((await call('rolloutsAbort', manager, { id })).status).toBe(409);
  });
});
