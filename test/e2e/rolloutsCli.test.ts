/**
 * `fleetguard rollouts` end to end: the built CLI, as a separate process, talks HTTP to the app's
 * registered functions on a loopback port, behind an Easy Auth stand-in, and signs in with its real
 * DefaultAzureCredential through a managed-identity endpoint (test/harness/easyAuthFront.ts). Reads
 * of a watched rollout move the durable host on (virtual clock) to the rollout's next published
 * status, so the output is the same on every run. Commands whose process adds nothing run in
 * process, through the same HTTP, with the same kind of token (`RolloutsContext.credential`).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Principal } from '../../lib/auth/principal.js';
import {
  rolloutsActionCommand,
  type RolloutsContext,
  rolloutsListCommand,
  rolloutsRetryCommand,
  rolloutsStartCommand,
  rolloutsStatusCommand,
  rolloutsWatchCommand,
  type StartOptions,
} from '../../lib/cli/rolloutsCommand.js';
import { FleetGuardError } from '../../lib/errors.js';
import { type AppHost, startAppHost } from '../harness/appHost.js';
import { runCli } from '../harness/cli.js';
import { type EasyAuthFront, managedIdentityCredential, startEasyAuthFront } from '../harness/easyAuthFront.js';

const CLI_APP = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const max: Principal = { name: 'max@contoso.com', roles: ['Rollouts.Manage'], objectId: '6f1c1a52-5c3e-4e59-9e4b-5f0d2b9d0a11', appId: CLI_APP };
const ana: Principal = { name: 'ana@contoso.com', roles: ['Rollouts.Manage'], objectId: '2b0e8c11-7a43-4d8e-b3f2-0c9d8e7f6a55', appId: CLI_APP };
const rita: Principal = { name: 'rita@contoso.com', roles: ['Rollouts.Read'], objectId: '1d2e3f40-0000-4000-8000-000000000001', appId: CLI_APP };
/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const FLAGS = ['--target', '1.32', '--waves-by-tag', 'ring', '--allow-multi-minor-hops', '--max-parallel', '2', '--soak-minutes', '10'];

describe('fleetguard rollouts against the app on the local host', () => {
  let app: AppHost;
  let front: EasyAuthFront;
  /** Rollouts whose reads move the durable host on to their next published status. */
  const stepping = new Set<string>();

  const snapshot = (id: string) => {
    const status = app.durable.getStatus(id);
    return JSON.stringify([status?.runtimeStatus, status?.customStatus]);
  };
  const settings = () => ({ FLEETGUARD_API_URL: front.url, FLEETGUARD_API_AUDIENCE: front.audience, FLEETGUARD_API_FUNCTION_KEY: front.functionKey });
  /** The CLI as a process, signed in as `as` through DefaultAzureCredential. */
  const cli = (args: string[], as: Principal) => runCli(['rollouts', ...args], { ...settings(), ...front.identityEnv(as) });
  /** The same commands in process: their output lines and exit code. */
  const inProcess = async (as: Principal, run: (context: RolloutsContext) => Promise<number>, env: Record<string, string> = {}) => {
    const lines: string[] = [];
    const credential = managedIdentityCredential(front.identityEnv(as));
    const code = await run({
      output: { stdout: (text) => lines.push(...text.split('\n')), width: 200 },
      env: { ...settings(), ...env },
      credential: () => Promise.resolve(credential),
      sleep: () => Promise.resolve(),
    });
    return { code, lines };
  };
  const refusal = async (as: Principal, run: (context: RolloutsContext) => Promise<number>, env: Record<string, string> = {}) => {
    try {
      await inProcess(as, run, env);
    } catch (error) {
      if (error instanceof FleetGuardError) return { reason: error.reason, message: error.message };
      throw error;
    }
    throw new Error('the command did not fail');
  };
  const start = async (options: Partial<StartOptions>, as: Principal = max): Promise<string> => {
    const { lines } = await inProcess(as, (context) =>
      rolloutsStartCommand({ target: '1.32', wavesByTag: 'ring', allowMultiMinorHops: true, maxParallel: 2, soakMinutes: 10, json: true, ...options }, context),
    );
    return (JSON.parse(lines.join('\n')) as { id: string }).id;
  };
  /** Puts a cluster back on an older version in the simulator, so a new rollout has work to do. */
  const setVersion = (name: string, resourceGroup: string, subscription: string, version: string) => {
    const id = `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`;
    app.local.simulator.upgrades.upgradedAt.delete(id.toLowerCase());
    app.local.simulator.fleet.updateClusterProperties(id, (properties) => {
      properties['kubernetesVersion'] = properties['currentKubernetesVersion'] = version;
      for (const pool of properties['agentPoolProfiles'] as Array<Record<string, unknown>>)
        pool['orchestratorVersion'] = pool['currentOrchestratorVersion'] = version;
    });
  };

  beforeAll(async () => {
    app = await startAppHost();
    front = await startEasyAuthFront(app.host, {
      beforeRequest: async (method, requestPath) => {
        const id = /^\/api\/rollouts\/([0-9a-f-]{36})$/.exec(requestPath)?.[1];
        if (method !== 'GET' || id === undefined || !stepping.has(id)) return;
        const before = snapshot(id);
        await app.durable.run({ until: () => snapshot(id) !== before });
      },
    });
  });
  afterAll(async () => {
    await front.close();
    await app.close();
  });

  it('start from flags, then watch it to the end: one line per change, the tables, exit 0', async () => {
    const started = await cli(['start', ...FLAGS], max);
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
    const id = /^Rollout ([0-9a-f-]{36}) started: Full upgrade to 1\.32, 3 waves, 2 clusters to upgrade, 2 excluded$/m.exec(started.stdout)?.[1] ?? '';
    expect(started.stdout).toContain(`Follow it: fleetguard rollouts watch ${id}`);
    stepping.add(id);
    const watched = await cli(['watch', id, '--interval', '0.01'], rita);
    expect(watched.stderr).toBe('');
    expect(watched.status).toBe(0);
    const lines = watched.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      '2026-11-23T08:00:00Z  Running',
      '2026-11-23T09:00:00Z  Running             wave 0 1/2 Completed · wave 1 0/2 NotStarted · wave 2 0/3 NotStarted',
      '2026-11-23T09:00:00Z  Running             wave 0 1/2 Completed · wave 1 0/2 Completed · wave 2 0/3 NotStarted',
      '2026-11-23T09:40:00Z  Running             wave 0 1/2 Completed · wave 1 0/2 Completed · wave 2 1/3 Completed',
      '2026-11-23T09:40:00Z  Completed           wave 0 1/2 Completed · wave 1 0/2 Completed · wave 2 1/3 Completed',
    ]);
    expect(lines).toContain('│ 0    │ web-dev          │ Upgraded │ 1.30.4 → 1.32.3 │                                                            │');
    expect(lines).toContain('│ 2    │ checkout-prod    │ Upgraded │ 1.31.3 → 1.32.3 │                                                            │');
    expect(lines.find((line) => line.includes(' start by '))).toMatch(new RegExp(`start by max@contoso.com \\(oid ${max.objectId}, app ${CLI_APP}\\)$`));
    expect(lines.at(-1)).toBe(`Rollout ${id} Completed (exit 0)`);
    // list shows it, with the requester.
    const listed = await inProcess(rita, (context) => rolloutsListCommand({ json: true }, context));
    expect(JSON.parse(listed.lines.join('\n'))).toMatchObject({ rollouts: [{ rolloutId: id, requestedBy: 'max@contoso.com', status: 'Completed' }] });
  });

  it('a plan file with --dry-run plans and starts nothing; flags override the file', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'fleetguard-plan-')), 'plan.json');
    writeFileSync(file, JSON.stringify({ target: '1.31', waves: { byTag: 'ring' }, scope: { clusterIds: ['checkout-prod'] }, allowMultiMinorHops: true }));
    const before = app.durable.listInstances().length;
    // The fleet is at 1.32 by now: without --allow-empty the app refuses the empty plan (422, one line with the reasons).
    expect(await refusal(max, (context) => rolloutsStartCommand({ plan: file, target: '1.32', dryRun: true }, context))).toMatchObject({
      message: expect.stringMatching(/^422: POST \/api\/rollouts: nothing to upgrade to 1\.32: .*checkout-prod skipped: already at 1\.32\.3/),
    });
    const { code, lines } = await inProcess(max, (context) => rolloutsStartCommand({ plan: file, target: '1.32', dryRun: true, allowEmpty: true }, context));
    expect(code).toBe(0);
    expect(lines[0]).toBe('Plan (dry run, nothing started): Full upgrade to 1.32, 1 waves, 0 clusters to upgrade, 0 excluded');
    expect(app.durable.listInstances()).toHaveLength(before);
    expect(await refusal(max, (context) => rolloutsStartCommand({ plan: `${file}.missing` }, context))).toMatchObject({
      reason: 'badInput',
      message: expect.stringMatching(/^--plan: cannot read /),
    });
  });

  it('separation of duties, and one clear line for 401, 403, 404, 409 and an unreachable app', async () => {
    setVersion('checkout-prod', 'checkout', '11111111-1111-1111-1111-111111111111', '1.31.3');
    const id = await start({ approveWave: ['2'], requireDistinctApprover: true });
    await app.durable.run({ until: () => (app.durable.getStatus(id)?.customStatus as { status?: string } | null)?.status === 'WaitingForApproval' });
    // status of a running rollout: every cluster as the rollout history has it.
    const status = await inProcess(rita, (context) => rolloutsStatusCommand(id, {}, context));
    expect(status.lines[0]).toBe(`Rollout ${id}: WaitingForApproval`);
    expect(status.lines).toContain('│ 2    │ checkout-prod    │ NotStarted │ 1.31.3 → 1.32.3 │                                                            │');
    // The requester's approval, and a retry of a rollout still running, from the CLI process: one line each, exit 1.
    const [own, retry] = await Promise.all([cli(['approve', id], max), cli(['retry', id, '--cluster', 'checkout-prod'], max)]);
    expect(own).toMatchObject({ status: 1, stdout: '' });
    expect(own.stderr).toBe(
      `fleetguard: 403 Forbidden: POST /api/rollouts/${id}/approve: separation of duties (requireDistinctApprover): max@contoso.com (oid ${max.objectId}) started rollout ${id} and cannot approve its wave 2; another holder of Rollouts.Manage must approve\n`,
    );
    expect(retry).toMatchObject({
      status: 1,
      stdout: '',
      stderr: `fleetguard: 409 Conflict: POST /api/rollouts/${id}/retry: cannot retry rollout ${id}: it is still running (Running, WaitingForApproval); retry re-runs the clusters of a rollout that has ended\n`,
    });
    expect(await refusal(rita, (context) => rolloutsRetryCommand(id, {}, context))).toEqual({
      reason: 'authError',
      message: `403 Forbidden: POST /api/rollouts/${id}/retry: role Rollouts.Manage required`,
    });
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await refusal(max, (context) => rolloutsRetryCommand(unknown, {}, context))).toEqual({
      reason: 'clientError',
      message: `404 Not Found: POST /api/rollouts/${unknown}/retry: no rollout ${unknown}`,
    });
    expect(await refusal(rita, (context) => rolloutsActionCommand('approve', id, {}, context))).toEqual({
      reason: 'authError',
      message: `403 Forbidden: POST /api/rollouts/${id}/approve: role Rollouts.Manage required`,
    });
    expect(await refusal(ana, (context) => rolloutsActionCommand('approve', id, { audience: 'api://another-app' }, context))).toMatchObject({
      reason: 'authError',
      message: expect.stringMatching(/^401 Unauthorized: POST \/api\/rollouts\/.*: the app refused the token \(check --audience/),
    });
    const closed = await closedPort();
    expect(await refusal(ana, (context) => rolloutsListCommand({ api: `http://127.0.0.1:${closed}` }, context))).toEqual({
      reason: 'serverError',
      message: `cannot reach http://127.0.0.1:${closed} (GET /api/rollouts): ECONNREFUSED`,
    });
    expect(await refusal(ana, (context) => rolloutsListCommand({ api: 'http://fleetguard.example.com' }, context))).toMatchObject({
      reason: 'config',
      message: '--api: must be an https:// URL (http:// only to a loopback address)',
    });
    // Someone else approves; the rollout completes; a second approval no longer fits: 409.
    const approved = await inProcess(ana, (context) => rolloutsActionCommand('approve', id, {}, context));
    expect(approved.lines).toEqual([`approve of rollout ${id} accepted (by ana@contoso.com); follow it: fleetguard rollouts watch ${id}`]);
    await app.durable.run();
    expect(await refusal(ana, (context) => rolloutsActionCommand('approve', id, {}, context))).toEqual({
      reason: 'clientError',
      message: `409 Conflict: POST /api/rollouts/${id}/approve: cannot approve rollout ${id}: it is Completed (Running)`,
    });
    const audit = await inProcess(rita, (context) => rolloutsStatusCommand(id, {}, context));
    expect(audit.lines.filter((line) => / (start|approve) by /.test(line)).map((line) => line.replace(/^ {2}\S+ /, ''))).toEqual([
      `start by max@contoso.com (oid ${max.objectId}, app ${CLI_APP})`,
      `approve by ana@contoso.com (oid ${ana.objectId}, app ${CLI_APP})`,
    ]);
  });

  it('watch ends when the rollout halts (exit 3); after an abort it reports Aborted (exit 5)', async () => {
    setVersion('search-prod', 'search', '22222222-2222-2222-2222-222222222222', '1.31.4');
    app.local.simulator.upgrades.anomalousClusters.add('search-prod');
    const id = await start({});
    stepping.add(id);
    const watched = await cli(['watch', id, '--interval', '0.01'], rita);
    expect(watched.stderr).toBe('');
    expect(watched.status).toBe(3);
    const lines = watched.stdout.trimEnd().split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^\S+Z {2}Halted +wave 0 0\/2 Completed · wave 1 0\/2 Completed · wave 2 \d\/3 Halted {2}halted: wave 2: search-prod: health gate failed: /,
      ),
    );
    expect(lines.at(-1)).toBe(`Rollout ${id} Halted: resume or abort it (fleetguard rollouts resume|abort ${id}) (exit 3)`);
    expect((await inProcess(max, (context) => rolloutsActionCommand('abort', id, {}, context))).code).toBe(0);
    stepping.delete(id);
    await app.durable.run();
    const after = await inProcess(rita, (context) => rolloutsWatchCommand(id, {}, context));
    expect(after.code).toBe(5);
    expect(after.lines.at(-1)).toBe(`Rollout ${id} Aborted (exit 5)`);
  });
});
