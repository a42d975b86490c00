/**
 * Separation of duties and the audit trail (issue 12, point 4), through the registered HTTP
 * functions: the principal who started a rollout cannot approve a wave that requires a distinct
 * approver, principals are compared by Entra object id (never by display name), and every action
 * records the caller's object id and client app id beside the name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodePrincipal, type Principal } from '../../lib/auth/principal.js';
import { type AppHost, startAppHost } from '../harness/appHost.js';
import { untagSampleEnvironments } from '../harness/clusters.js';

const CLI_APP = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const max: Principal = { name: 'max@contoso.com', roles: ['Rollouts.Manage'], objectId: '6f1c1a52-5c3e-4e59-9e4b-5f0d2b9d0a11', appId: CLI_APP };
/** Another person who happens to have the same display name: a different object id. */
const otherMax: Principal = { ...max, objectId: '0b7f5c9e-2f6a-4c1d-8f3e-9a4b2c1d0e22' };
/** Max again, under another display name (renamed account): the same object id. */
const maxRenamed: Principal = { ...max, name: 'Max Mustermann' };
const noOid: Principal = { name: 'legacy@contoso.com', roles: ['Rollouts.Manage'] };
const reader = encodePrincipal({ name: 'rita@contoso.com', roles: ['Rollouts.Read'], objectId: '1d2e3f40-0000-4000-8000-000000000001' });

const PAYMENTS =
  '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/payments/providers/Microsoft.ContainerService/managedClusters/payments-prod';
const START = {
  target: '1.32',
  waves: { byTag: 'ring' },
  waveSettings: { maxParallel: 2, soakMinutes: 10, requireApproval: false },
  waveOverrides: { '2': { requireApproval: true } },
  allowMultiMinorHops: true,
  allowEmpty: true,
};
// allowEmpty: earlier tests of this file leave the shared fleet at 1.32; what is tested is the approval gate.

describe('separation of duties: requireDistinctApprover', () => {
  let app: AppHost;
  const call = (name: string, principal: string, options: { body?: unknown; id?: string } = {}) =>
    app.host.invokeHttp(name, {
      method: name === 'rolloutsGet' ? 'GET' : 'POST',
      path: `/api/rollouts${options.id ? `/${options.id}/${name.replace('rollouts', '').toLowerCase()}` : ''}`,
      headers: { 'x-ms-client-principal': principal },
      params: options.id === undefined ? {} : { id: options.id },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  const startWaiting = async (body: Record<string, unknown>, by: Principal): Promise<string> => {
    const started = await call('rolloutsCreate', encodePrincipal(by), { body: { ...START, ...body } });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const id = (started.body as { id: string }).id;
    await app.durable.run({ until: () => (app.durable.getStatus(id)?.customStatus as { status?: string } | null)?.status === 'WaitingForApproval' });
    return id;
  };
  const abort = async (id: string) => {
    await call('rolloutsAbort', encodePrincipal(max), { id });
    await app.durable.run();
  };

  beforeAll(async () => {
    app = await startAppHost();
    untagSampleEnvironments(app.local.simulator.fleet);
  });
  afterAll(() => app.close());

  it('a wave is production when one of its clusters is tagged env/environment = prod/production; the default follows it, the request can set it', async () => {
    const dry = async (body: Record<string, unknown>) =>
      ((await call('rolloutsCreate', encodePrincipal(max), { body: { ...START, ...body, dryRun: true } })).body as { distinctApproverWaves: string[] })
        .distinctApproverWaves;
    // Without environment tags (untagSampleEnvironments) no wave is production.
    expect(await dry({})).toEqual([]);
    const cluster = app.local.simulator.fleet.findCluster('11111111-1111-1111-1111-111111111111', 'payments', 'payments-prod');
    if (cluster === undefined) throw new Error('sample fleet changed');
    app.local.simulator.fleet.putCluster({ ...cluster, id: PAYMENTS, tags: { ...(cluster['tags'] as Record<string, string>), Environment: 'Production' } });
    try {
      expect(await dry({})).toEqual(['2']);
      expect(await dry({ requireDistinctApprover: false })).toEqual([]);
      expect(await dry({ requireDistinctApprover: true })).toEqual(['0', '1', '2']);
      const plan = (
        (await call('rolloutsCreate', encodePrincipal(max), { body: { ...START, dryRun: true } })).body as {
          plan: { waves: Array<{ name: string; production?: boolean }> };
        }
      ).plan;
      expect(plan.waves.map((wave) => [wave.name, wave.production ?? false])).toEqual([
        ['0', false],
        ['1', false],
        ['2', true],
      ]);

      // Production by default: the requester's own approval is refused, naming the rule.
      const id = await startWaiting({}, max);
      const own = await call('rolloutsApprove', encodePrincipal(max), { id });
      expect(own).toMatchObject({ status: 403, body: { error: expect.stringContaining('separation of duties (requireDistinctApprover): max@contoso.com') } });
      await abort(id);
    } finally {
      app.local.simulator.fleet.putCluster(cluster);
    }
  });

  it('the requester cannot approve, even renamed; a different object id with the same display name can', async () => {
    const id = await startWaiting({ requireDistinctApprover: true }, max);
    for (const same of [max, maxRenamed]) {
      const refused = await call('rolloutsApprove', encodePrincipal(same), { id });
      expect(refused.status, same.name).toBe(403);
      expect((refused.body as { error: string }).error).toBe(
        `separation of duties (requireDistinctApprover): ${same.name} (oid ${max.objectId}) started rollout ${id} and cannot approve its wave 2; another holder of Rollouts.Manage must approve`,
      );
    }
    // Refusals change nothing: still waiting, no approve action recorded.
    expect((await call('rolloutsGet', reader, { id })).body).toMatchObject({ runtimeStatus: 'Running', customStatus: { status: 'WaitingForApproval' } });
    expect((await call('rolloutsApprove', encodePrincipal(otherMax), { id })).status).toBe(202);
    await app.durable.run();
    const done = (await call('rolloutsGet', reader, { id })).body as { output: { status: string }; actions: Array<Record<string, string>> };
    expect(done.output.status).toBe('Completed');
    // The audit trail names people: display name, object id and client app id of each action.
    expect(
      done.actions
        .map(({ action, by, byObjectId, byAppId }) => ({ action, by, byObjectId, byAppId }))
        .sort((left, right) => String(left.action).localeCompare(String(right.action))),
    ).toEqual([
      { action: 'approve', by: 'max@contoso.com', byObjectId: otherMax.objectId, byAppId: CLI_APP },
      { action: 'start', by: 'max@contoso.com', byObjectId: max.objectId, byAppId: CLI_APP },
    ]);
  });

  it('without an object id to compare, a distinct approval is refused rather than guessed', async () => {
    const id = await startWaiting({ requireDistinctApprover: true }, noOid);
    const refused = await call('rolloutsApprove', encodePrincipal(otherMax), { id });
    expect(refused).toMatchObject({
      status: 403,
      body: { error: expect.stringMatching(/^separation of duties \(requireDistinctApprover\): .*the request that started it carries no object id/) },
    });
    await abort(id);
  });

  it('a wave that does not require it may be approved by its requester (the sample fleet has no production tag)', async () => {
    const id = await startWaiting({}, max);
    expect((await call('rolloutsApprove', encodePrincipal(max), { id })).status).toBe(202);
    await app.durable.run();
    expect((await call('rolloutsGet', reader, { id })).body).toMatchObject({ output: { status: 'Completed' } });
  });
});
