/**
 * Node-pool rollback of a halted rollout (issue 12, point 8), the way a release manager uses it:
 * through the registered HTTP functions on the local durable host and its virtual clock, against the
 * simulator's AKS (rules: test/contract/agentPoolRollback.test.ts). A rollout halts after upgrading
 * checkout-prod; its status says the pool's rollback applies; one principal asks, another approves;
 * the durable rollback puts the pool back at both old versions. Refused: the requester approving,
 * callers without Rollouts.Manage, a pool upgraded more than 7 days ago (Learn roll-back-node-pool-version),
 * a rollout still running. The CLI (`fleetguard rollouts status|rollback`) runs in process over HTTP
 * behind the Easy Auth stand-in, with a real token, as in rolloutsCli.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodePrincipal, type Principal } from '../../lib/auth/principal.js';
import { type RollbackOptions, rolloutsRollbackCommand } from '../../lib/cli/rollbackCommand.js';
import { rolloutsStatusCommand } from '../../lib/cli/rolloutsCommand.js';
import { FleetGuardError } from '../../lib/errors.js';
import { rollbackInstanceId } from '../../lib/upgrades/rollbackOrchestrator.js';
import { UpgradeSimulation } from '../../tooling/simulator/upgradeSimulation.js';
import { type AppHost, startAppHost } from '../harness/appHost.js';
import { type EasyAuthFront, managedIdentityCredential, startEasyAuthFront } from '../harness/easyAuthFront.js';

const CLI_APP = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const max: Principal = { name: 'max@contoso.com', roles: ['Rollouts.Manage'], objectId: '6f1c1a52-5c3e-4e59-9e4b-5f0d2b9d0a11', appId: CLI_APP };
const ana: Principal = { name: 'ana@contoso.com', roles: ['Rollouts.Manage'], objectId: '0b7f5c9e-2f6a-4c1d-8f3e-9a4b2c1d0e22', appId: CLI_APP };
const reader = encodePrincipal({ name: 'rita@contoso.com', roles: ['Rollouts.Read'], objectId: '1d2e3f40-0000-4000-8000-000000000001' });

const SUBSCRIPTION = '11111111-1111-1111-1111-111111111111';
const CHECKOUT = `/subscriptions/${SUBSCRIPTION}/resourceGroups/checkout/providers/Microsoft.ContainerService/managedClusters/checkout-prod`;
const OLD_IMAGE = 'AKSUbuntu-2204gen2containerd-202611.01.0';
const DAY = 24 * 60 * 60_000;

interface PoolStatus {
  pool: string;
  version: string;
  nodeImageVersion: string;
  rollback: { applies: boolean; to?: { orchestratorVersion: string; nodeImageVersion: string }; reason?: string };
}
interface StatusBody {
  clusters: Array<{ resourceId: string; status: string; rollback?: { controlPlane: { applies: boolean; reason: string }; pools: PoolStatus[] } }>;
  rollbacks: Array<{
    rollbackId: string;
    state: string;
    requested: { by: string; byObjectId: string };
    approved?: { by: string; byObjectId: string };
    results?: Array<{ pool: string; status: string }>;
  }>;
  actions: Array<{ action: string; by: string; byObjectId?: string }>;
}

describe('node-pool rollback of a halted rollout, through the HTTP functions', () => {
  let app: AppHost;
  const ROUTES: Record<string, string> = { rolloutsCreate: '', rolloutsGet: '', rolloutsRollback: '/rollback', rolloutsRollbackApprove: '/rollback/approve' };
  const call = (name: string, principal: string, options: { body?: unknown; id?: string } = {}) =>
    app.host.invokeHttp(name, {
      method: name === 'rolloutsGet' ? 'GET' : 'POST',
      path: `/api/rollouts${options.id === undefined ? '' : `/${options.id}${ROUTES[name] ?? ''}`}`,
      headers: { 'x-ms-client-principal': principal },
      params: options.id === undefined ? {} : { id: options.id },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  const status = async (id: string) => (await call('rolloutsGet', reader, { id })).body as StatusBody;
  const systemPool = (body: StatusBody) =>
    body.clusters.find((cluster) => cluster.resourceId === CHECKOUT)?.rollback?.pools.find((pool) => pool.pool === 'system');
  const storedPool = () => {
    app.local.simulator.upgrades.settle();
    const cluster = app.local.simulator.fleet.findCluster(SUBSCRIPTION, 'checkout', 'checkout-prod');
    return (cluster?.['properties'] as { agentPoolProfiles: Array<Record<string, unknown>> }).agentPoolProfiles.find((pool) => pool['name'] === 'system') ?? {};
  };
  let id = '';
  let front: EasyAuthFront;
  /** `fleetguard rollouts ...` in process as `as`: its lines, or the one line of its refusal. */
  const cli = async (as: Principal, run: (context: Parameters<typeof rolloutsStatusCommand>[2]) => Promise<number>): Promise<string[]> => {
    const lines: string[] = [];
    const credential = managedIdentityCredential(front.identityEnv(as));
    try {
      await run({
        output: { stdout: (text) => lines.push(...text.split('\n')), width: 200 },
        env: { FLEETGUARD_API_URL: front.url, FLEETGUARD_API_AUDIENCE: front.audience, FLEETGUARD_API_FUNCTION_KEY: front.functionKey },
        credential: () => Promise.resolve(credential),
      });
    } catch (error) {
      if (error instanceof FleetGuardError) return [`refused (${error.reason}): ${error.message}`];
      throw error;
    }
    return lines;
  };
  const rollbackCli = (as: Principal, options: RollbackOptions) => cli(as, (context) => rolloutsRollbackCommand(id, options, context));

  beforeAll(async () => {
    // No SDK retries: a failed ARM call reaches the activity, and Durable's retry budget (ACTIVITY_RETRY) must carry it.
    app = await startAppHost({ FLEETGUARD_HTTP_MAX_RETRIES: '0' });
    front = await startEasyAuthFront(app.host);
    // One clock for the app (real time) and the simulated AKS (virtual): start the virtual one now.
    app.clock.advanceTo(Date.now());
    // AKS reports a node image on every pool; the sample fleet leaves it out.
    app.local.simulator.fleet.updateClusterProperties(CHECKOUT, (properties) => {
      for (const pool of properties['agentPoolProfiles'] as Array<Record<string, unknown>>) pool['nodeImageVersion'] = OLD_IMAGE;
    });
    // checkout-prod (auto-upgrade channel none, node OS channel Unmanaged) degrades after its upgrade: the rollout halts.
    app.local.simulator.upgrades.anomalousClusters.add('checkout-prod');
    const started = await call('rolloutsCreate', encodePrincipal(max), {
      body: {
        target: '1.32',
        scope: { clusterIds: [CHECKOUT] },
        waves: { explicit: [['checkout-prod']] },
        waveSettings: { maxParallel: 1, soakMinutes: 10, requireApproval: false },
      },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    id = (started.body as { id: string }).id;
  });
  afterAll(async () => {
    await front.close();
    await app.close();
  });

  it('a rollout still running cannot be rolled back: 409', async () => {
    const refused = await call('rolloutsRollback', encodePrincipal(max), { id, body: { clusters: ['checkout-prod'] } });
    expect(refused).toMatchObject({ status: 409, body: { error: expect.stringMatching(new RegExp(`^cannot roll back rollout ${id}: it is still running`)) } });
  });

  it('once halted after the pool upgraded, the status says rollback applies, to both old versions; the control plane never', async () => {
    // Halted and waiting for resume or abort (its cluster statuses recorded, the alert sent).
    await app.durable.run({
      until: () =>
        ((custom) => custom?.status === 'Halted' && custom.wave !== undefined)(
          app.durable.getStatus(id)?.customStatus as { status?: string; wave?: unknown } | null,
        ),
    });
    expect(storedPool()).toMatchObject({ currentOrchestratorVersion: expect.stringMatching(/^1\.32\./), provisioningState: 'Succeeded' });
    const body = await status(id);
    expect(body.clusters.find((cluster) => cluster.resourceId === CHECKOUT)?.rollback?.controlPlane).toEqual({
      applies: false,
      reason: expect.stringContaining('AKS rolls back node pools only'),
    });
    expect(systemPool(body)?.rollback).toEqual({ applies: true, to: { orchestratorVersion: '1.31.3', nodeImageVersion: OLD_IMAGE } });
    const rita: Principal = { name: 'rita@contoso.com', roles: ['Rollouts.Read'], objectId: '1d2e3f40-0000-4000-8000-000000000001' };
    const shown = await cli(rita, (context) => rolloutsStatusCommand(id, {}, context));
    expect(shown).toContain(`  checkout-prod/system: applies to 1.31.3 (${OLD_IMAGE}): fleetguard rollouts rollback ${id} --cluster checkout-prod`);
  });

  it('without Rollouts.Manage: 403 to ask and to approve', async () => {
    expect((await call('rolloutsRollback', reader, { id, body: { clusters: ['checkout-prod'] } })).status).toBe(403);
    expect((await call('rolloutsRollbackApprove', reader, { id, body: {} })).status).toBe(403);
  });

  it('a pool upgraded more than 7 days ago: the status says why, the request is 409 naming cluster and pool', async () => {
    const key = UpgradeSimulation.poolKey(CHECKOUT, 'system');
    const recent = app.local.simulator.upgrades.recentlyUsed.get(key);
    if (recent?.[0] === undefined) throw new Error('the simulator recorded no recently used version');
    const kept = recent[0];
    app.local.simulator.upgrades.recentlyUsed.set(key, [{ ...kept, timestamp: new Date(Date.now() - 8 * DAY).toISOString() }]);
    try {
      expect(systemPool(await status(id))?.rollback).toMatchObject({ applies: false, reason: expect.stringContaining('more than 7 days ago') });
      const refused = await call('rolloutsRollback', encodePrincipal(max), { id, body: { clusters: ['checkout-prod'] } });
      expect(refused).toMatchObject({
        status: 409,
        body: { error: expect.stringMatching(/^rollback does not apply: checkout-prod\/system: the pool was upgraded more than 7 days ago/) },
      });
      expect(await rollbackCli(max, { cluster: ['checkout-prod'] })).toEqual([
        expect.stringMatching(
          new RegExp(
            `^refused \\(clientError\\): 409 Conflict: POST /api/rollouts/${id}/rollback: rollback does not apply: checkout-prod/system: the pool was upgraded more than 7 days ago`,
          ),
        ),
      ]);
    } finally {
      app.local.simulator.upgrades.recentlyUsed.set(key, [kept]);
    }
  });

  it('asked by one principal, refused to the same one (even by another name), approved by another: the pool is back at both versions', async () => {
    const asked = await call('rolloutsRollback', encodePrincipal(max), { id, body: { clusters: ['checkout-prod'] } });
    expect(asked).toMatchObject({
      status: 202,
      body: {
        state: 'PendingApproval',
        targets: [{ resourceId: CHECKOUT, pool: 'system', to: { orchestratorVersion: '1.31.3', nodeImageVersion: OLD_IMAGE } }],
      },
    });
    const rollbackId = (asked.body as { rollbackId: string }).rollbackId;
    // Nothing is written to AKS before the approval.
    expect(storedPool()).toMatchObject({ currentOrchestratorVersion: expect.stringMatching(/^1\.32\./) });
    for (const same of [max, { ...max, name: 'Max Mustermann' }]) {
      const own = await call('rolloutsRollbackApprove', encodePrincipal(same), { id, body: { rollbackId } });
      expect(own).toMatchObject({
        status: 403,
        body: {
          error: `separation of duties (rollback approval): ${same.name} (oid ${max.objectId}) requested rollback ${rollbackId} of rollout ${id} and cannot approve it; another holder of Rollouts.Manage must approve`,
        },
      });
    }
    expect(await rollbackCli(max, { approve: true })).toEqual([
      expect.stringMatching(/^refused \(authError\): 403 Forbidden: .*separation of duties \(rollback approval\): max@contoso.com/),
    ]);
    expect(await rollbackCli(ana, { approve: true, cluster: ['checkout-prod'] })).toEqual([
      expect.stringMatching(/^refused \(badInput\): give --cluster \(ask for a rollback\) or --approve/),
    ]);
    // ARM fails the first two rollback writes (503): the activity throws, Durable retries it.
    app.local.simulator.faults.configure({ routes: { 'arm.putAgentPool': { serverError: { first: 2, status: 503 } } } });
    const writesBefore = app.local.simulator.requests.entries.length;
    // Approved by someone else, from the terminal.
    expect(await rollbackCli(ana, { approve: rollbackId })).toEqual([
      `Rollback ${rollbackId} of rollout ${id} approved by ana@contoso.com and started: checkout-prod/system → 1.31.3 (${OLD_IMAGE}); follow it: fleetguard rollouts status ${id}`,
    ]);
    // Approved once: a second approval finds nothing waiting.
    expect((await call('rolloutsRollbackApprove', encodePrincipal(ana), { id, body: {} })).status).toBe(409);

    const instance = rollbackInstanceId(id, rollbackId);
    await app.durable.run({ until: () => app.durable.getStatus(instance)?.runtimeStatus === 'Completed' });
    expect(app.durable.getStatus(instance)?.output).toMatchObject({
      state: 'Completed',
      results: [{ resourceId: CHECKOUT, pool: 'system', status: 'RolledBack', reason: null }],
    });
    expect(storedPool()).toMatchObject({ currentOrchestratorVersion: '1.31.3', nodeImageVersion: OLD_IMAGE, provisioningState: 'Succeeded' });
    app.local.simulator.faults.configure({});
    expect(
      app.local.simulator.requests.entries
        .slice(writesBefore)
        .filter((entry) => entry.route === 'arm.putAgentPool')
        .map((entry) => entry.status),
    ).toEqual([503, 503, 200]);

    const after = await status(id);
    expect(after.rollbacks).toEqual([
      expect.objectContaining({
        rollbackId,
        state: 'Completed',
        requested: expect.objectContaining({ by: max.name, byObjectId: max.objectId, byAppId: CLI_APP }),
        approved: expect.objectContaining({ by: ana.name, byObjectId: ana.objectId }),
        results: [expect.objectContaining({ pool: 'system', status: 'RolledBack' })],
      }),
    ]);
    expect(
      after.actions
        .filter((action) => action.action.startsWith('rollback'))
        .map(({ action, byObjectId }) => [action, byObjectId])
        .sort(),
    ).toEqual([
      ['rollback-approve', ana.objectId],
      ['rollback-request', max.objectId],
    ]);
    // One step back only: nothing is left to roll back to.
    expect(systemPool(after)?.rollback).toMatchObject({ applies: false });
  });
});
