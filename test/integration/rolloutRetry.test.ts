/**
 * Retry, as an operator uses it: `POST /api/rollouts/{id}/retry` through the registered HTTP function,
 * and `fleetguard rollouts retry` over HTTP behind the Easy Auth stand-in, on the local durable host
 * with its virtual clock, upgrade writes counted at the simulator.
 *
 * Sample fleet, target 1.32 by `ring`, one cluster at a time, search-prod put back on 1.31.4: wave 0
 * upgrades web-dev; wave 2 checkout-prod, then search-prod. While wave 2 runs, ARM answers every
 * managed-cluster PUT with 500 (the simulator's fault injection, SDK retries off), so checkout-prod
 * spends its retry budget and fails, the rollout halts and search-prod is skipped by the halt. ARM is
 * healthy again before the retry, which must re-run checkout-prod and search-prod, and nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodePrincipal, type Principal } from '../../lib/auth/principal.js';
import { type RetryOptions, type RolloutsContext, rolloutsRetryCommand } from '../../lib/cli/rolloutsCommand.js';
import { FleetGuardError } from '../../lib/errors.js';
import type { RolloutOutcome } from '../../lib/upgrades/orchestrators.js';
import { type AppHost, startAppHost } from '../harness/appHost.js';
import { type EasyAuthFront, managedIdentityCredential, startEasyAuthFront } from '../harness/easyAuthFront.js';

const MAX: Principal = {
  name: 'max@contoso.com',
  roles: ['Rollouts.Manage'],
  objectId: '6f1c1a52-5c3e-4e59-9e4b-5f0d2b9d0a11',
  appId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
};
const manager = encodePrincipal(MAX);
const reader = encodePrincipal({ name: 'rita@contoso.com', roles: ['Rollouts.Read'] });
const START = {
  target: '1.32',
  waves: { byTag: 'ring' },
  waveSettings: { maxParallel: 1, soakMinutes: 10, requireApproval: false },
  allowMultiMinorHops: true,
};
const SEARCH_PROD =
  '/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/search/providers/Microsoft.ContainerService/managedClusters/search-prod';

const clusterName = (resourceId: string) => resourceId.split('/').at(-1) ?? '';
const statusesOf = (output: RolloutOutcome | null | undefined) =>
  Object.fromEntries((output?.waves ?? []).flatMap((wave) => wave.clusters).map((cluster) => [clusterName(cluster.resourceId), cluster.status]));

interface StatusBody {
  runtimeStatus: string;
  output: RolloutOutcome | null;
  customStatus: { status?: string } | null;
  actions: Array<{ action: string; by: string; byObjectId?: string; byAppId?: string }>;
  retryOf?: string;
  retries?: Array<{ id: string; by: string; clusters: string[] }>;
}

describe('retry through the HTTP function: a new run over the failed and skipped clusters only', () => {
  let app: AppHost;
  let front: EasyAuthFront;
  let original = '';
  let halted: StatusBody;

  const call = (name: string, principal: string, options: { body?: unknown; id?: string; path?: string } = {}) =>
    app.host.invokeHttp(name, {
      method: name === 'rolloutsGet' ? 'GET' : 'POST',
      path: `/api/rollouts${options.id ? `/${options.id}` : ''}${options.path ?? ''}`,
      headers: { 'x-ms-client-principal': principal },
      params: options.id === undefined ? {} : { id: options.id },
      ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
    });
  const retry = (id: string, body?: unknown, principal = manager) =>
    call('rolloutsRetry', principal, { id, path: '/retry', ...(body === undefined ? {} : { body }) });
  const get = async (id: string) => (await call('rolloutsGet', reader, { id })).body as StatusBody;
  const writes = () => new Map([...app.local.simulator.upgrades.writesByCluster].map(([id, count]) => [clusterName(id), count]));
  /** `fleetguard rollouts retry` in process, over HTTP to the app, signed in as MAX: its lines, or its one-line refusal. */
  const cliRetry = async (id: string, options: RetryOptions = {}): Promise<{ lines: string[] } | { refused: string }> => {
    const lines: string[] = [];
    const context: RolloutsContext = {
      output: { stdout: (text) => lines.push(...text.split('\n')), width: 200 },
      env: { FLEETGUARD_API_URL: front.url, FLEETGUARD_API_AUDIENCE: front.audience, FLEETGUARD_API_FUNCTION_KEY: front.functionKey },
      credential: () => Promise.resolve(managedIdentityCredential(front.identityEnv(MAX))),
    };
    try {
      await rolloutsRetryCommand(id, options, context);
    } catch (error) {
      if (error instanceof FleetGuardError) return { refused: error.message };
      throw error;
    }
    return { lines };
  };
  const live = (id: string) => (app.durable.getStatus(id)?.customStatus ?? {}) as { status?: string; wave?: string };

  beforeAll(async () => {
    // SDK retries off: each activity attempt is one ARM call, so the retry budget is spent in virtual time only.
    app = await startAppHost({ FLEETGUARD_HTTP_MAX_RETRIES: '0' });
    app.local.simulator.fleet.updateClusterProperties(SEARCH_PROD, (properties) => {
      properties['kubernetesVersion'] = properties['currentKubernetesVersion'] = '1.31.4';
      for (const pool of properties['agentPoolProfiles'] as Array<Record<string, unknown>>)
        pool['orchestratorVersion'] = pool['currentOrchestratorVersion'] = '1.31.4';
    });
    const started = await call('rolloutsCreate', manager, { body: START });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    original = (started.body as { id: string }).id;
    front = await startEasyAuthFront(app.host);
  });
  afterAll(async () => {
    await front.close();
    await app.close();
  });

  it('a running rollout is 409: retry re-runs clusters of a rollout that has ended', async () => {
    const refused = await retry(original);
    expect(refused.status).toBe(409);
    expect((refused.body as { error: string }).error).toMatch(/^cannot retry rollout [0-9a-f-]{36}: it is still running \((Running|Pending)/);
  });

  it('a halted rollout waiting for a human is 409 (resume continues it; abort, then retry); without Rollouts.Manage 403', async () => {
    await app.durable.run({ until: () => app.durable.getStatus(`${original}:wave-0`)?.runtimeStatus === 'Completed' });
    app.local.simulator.faults.configure({ routes: { 'arm.putManagedCluster': { serverError: { rate: 1, status: 500 } } } });
    await app.durable.run({ until: () => live(original).status === 'Halted' && live(original).wave !== undefined });
    app.local.simulator.faults.configure({});
    const refused = await retry(original);
    expect(refused.status).toBe(409);
    expect((refused.body as { error: string }).error).toBe(
      `cannot retry rollout ${original}: it is halted and waits for resume or abort (resume continues it once its gate passes again; to re-run its failed and skipped clusters, abort it, then retry)`,
    );
    expect((await retry(original, undefined, reader)).status).toBe(403);
    // Nobody resumes: the halt wait (7 days) expires and the rollout ends Halted.
    await app.durable.run();
    halted = await get(original);
    expect(halted.runtimeStatus).toBe('Completed');
    expect(halted.output?.status).toBe('Halted');
    expect(halted.output?.haltReason).toMatch(/^wave 2: checkout-prod: gave up after 10 attempts: /);
    expect(statusesOf(halted.output)).toMatchObject({ 'web-dev': 'Upgraded', 'checkout-prod': 'Failed', 'search-prod': 'NotStarted' });
  });

  it('a cluster on which an AKS operation still runs is 409 naming it, until the operation ends', async () => {
    // Someone upgrades search-prod's spot pool node image by hand meanwhile (10 simulated minutes).
    const operation = app.local.simulator.upgrades.start(SEARCH_PROD, 'nodeImage', 'latest', 'spot');
    const busy = 'search-prod: an AKS operation is still running (provisioningState Upgrading, pool spot UpgradingNodeImageVersion)';
    const refused = await retry(original);
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: `cannot retry rollout ${original} yet: ${busy}. Retry once it has ended, or leave it out (clusters in the body, --cluster in the CLI)`,
      blocked: [{ resourceId: expect.stringMatching(/\/search-prod$/i), reason: busy.replace('search-prod: ', '') }],
    });
    // The CLI says so in one line.
    expect(await cliRetry(original)).toEqual({
      refused: `409 Conflict: POST /api/rollouts/${original}/retry: cannot retry rollout ${original} yet: ${busy}. Retry once it has ended, or leave it out (clusters in the body, --cluster in the CLI)`,
    });
    app.clock.advanceTo(operation.completesAt);
  });

  it('a body naming no cluster of the rollout is 400, one that is not retryable 409, each naming it', async () => {
    expect(await retry(original, { clusters: ['checkout-prod', 'nosuch'] })).toMatchObject({
      status: 400,
      body: { error: `clusters.1: 'nosuch' is not a cluster rollout ${original} upgrades` },
    });
    expect(await retry(original, { cluster: ['checkout-prod'] })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/cluster/) } });
    expect(await retry(original, { clusters: ['web-dev'] })).toMatchObject({
      status: 409,
      body: { error: `cannot retry web-dev of rollout ${original}: it is Upgraded; only Failed, NotStarted and Aborted clusters are retried` },
    });
  });

  it('retry: only the failed and skipped clusters get upgrade writes, the new run completes, the original keeps its record and links to it', async () => {
    const before = writes();
    const accepted = await cliRetry(original);
    if (!('lines' in accepted)) throw new Error(accepted.refused);
    const retryId = new RegExp(
      `^retry of rollout ${original} started as rollout ([0-9a-f-]{36}) \\(by max@contoso\\.com\\): 2 clusters \\(checkout-prod, search-prod\\) with the same plan; follow it: fleetguard rollouts watch \\1$`,
    ).exec(accepted.lines.join('\n'))?.[1];
    expect(retryId, accepted.lines.join('\n')).toBeDefined();
    const answer = { id: retryId ?? '' };
    // The same plan, narrowed: wave 2 only, with its settings and the original's gates.
    const input = app.durable.getStatus(answer.id)?.input as {
      plan: {
        target: string;
        waves: Array<{ name: string; maxParallel: number; soakMinutes: number; requireApproval: boolean; clusters: Array<{ name: string }> }>;
      };
      gates: unknown;
      requestedBy: string;
    };
    const originalInput = app.durable.getStatus(original)?.input as { plan: { target: string }; gates: unknown };
    expect(input.plan.target).toBe(originalInput.plan.target);
    expect(input.gates).toEqual(originalInput.gates);
    expect(input.requestedBy).toBe(MAX.name);
    expect(
      input.plan.waves.map((wave) => [wave.name, wave.maxParallel, wave.soakMinutes, wave.requireApproval, wave.clusters.map((cluster) => cluster.name)]),
    ).toEqual([['2', 1, 10, false, ['checkout-prod', 'search-prod']]]);

    await app.durable.run();
    const after = writes();
    const added = Object.fromEntries([...after].map(([name, count]) => [name, count - (before.get(name) ?? 0)]).filter(([, count]) => count !== 0));
    // checkout-prod: control plane and system pool; search-prod: control plane, system and spot pools.
    expect(added).toEqual({ 'checkout-prod': 2, 'search-prod': 3 });
    expect(app.durable.getStatus(`${answer.id}:wave-0`)).toBeUndefined();

    const rerun = await get(answer.id);
    expect(rerun.runtimeStatus).toBe('Completed');
    expect(rerun.output?.status).toBe('Completed');
    expect(statusesOf(rerun.output)).toEqual({ 'checkout-prod': 'Upgraded', 'search-prod': 'Upgraded' });
    expect(rerun.retryOf).toBe(original);
    expect(rerun.actions.map((action) => [action.action, action.by, action.byObjectId])).toEqual([['start', MAX.name, MAX.objectId]]);

    // The original keeps its own record, and points to the retry, with who asked for it.
    const kept = await get(original);
    expect(kept.runtimeStatus).toBe('Completed');
    expect(kept.output).toEqual(halted.output);
    expect(kept.actions.find((action) => action.action === 'retry')).toMatchObject({ by: MAX.name, byObjectId: MAX.objectId, byAppId: MAX.appId });
    expect(kept.retries?.map((entry) => ({ id: entry.id, by: entry.by, clusters: entry.clusters.map(clusterName).sort() }))).toEqual([
      { id: answer.id, by: MAX.name, clusters: ['checkout-prod', 'search-prod'] },
    ]);

    // Each cluster is retried once from a rollout: nothing is left to retry in the original.
    expect(await cliRetry(original)).toEqual({
      refused: `409 Conflict: POST /api/rollouts/${original}/retry: nothing to retry in rollout ${original}: no cluster failed or was skipped by a halt or an abort (1 Upgraded, 2 retried by ${answer.id})`,
    });
  });
});
