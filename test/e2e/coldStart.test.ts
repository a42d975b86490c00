/**
 * The deployable entry, compiled (dist/, built by `pretest`) and bundled: what it registers at
 * load, what it must not load then (cold start), and that the bundle still runs a function.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodePrincipal } from '../../lib/auth/principal.js';
import { createAzureClients } from '../../lib/azure/clients.js';
import { parseConfig } from '../../lib/config.js';
import { bundleFunctions } from '../../lib/infra/bundleFunctions.js';
import { type DurableClientShim, startDurableClientShim } from '../../lib/local/durableClientShim.js';
import { LocalDurableHost, VirtualClock } from '../../lib/local/durableHost.js';
import { type LocalAzure, startLocalAzure } from '../../lib/simulator/localAzure.js';
import { loadSnapshot } from '../../lib/simulator/snapshot.js';
import type { ProbeResult } from '../bench/coldStartProbe.js';
import { HEAVY_SDKS } from '../bench/coldStartSdks.js';
import { conformanceSample, projectRoot } from '../harness/fixtures.js';
import { LocalFunctionsHost } from '../harness/functionsHost.js';
import { azuriteConnectionString, uniqueTableName } from '../harness/tables.js';

const compiledEntry = path.join(projectRoot, 'dist', 'functions', 'index.js');
// Inside the package: the app finds its files (detection queries) by walking up to package.json.
const bundleDir = path.join(projectRoot, 'dist', `.bundle-test-${process.pid}`);

/** A fresh Node process loads the module as the worker would and reports what happened. */
function probe(entry: string): ProbeResult {
  const script = path.join(projectRoot, 'dist', 'test', 'bench', 'coldStartProbe.js');
  const stdout = execFileSync(process.execPath, [script, entry, '--modules'], { cwd: projectRoot, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' }, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as ProbeResult;
}

const triggers = (result: ProbeResult) => result.registrations.map(({ name, trigger }) => `${name}:${trigger}`).sort();

describe('the deployable Functions entry', () => {
  let compiled: ProbeResult;

  beforeAll(async () => {
    compiled = probe(compiledEntry);
    await bundleFunctions({ entry: compiledEntry, outdir: bundleDir });
  });
  afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

  it('registers every function of the app (as the sources do) without loading an Azure SDK client package', async () => {
    const source = await LocalFunctionsHost.load('../../functions/index.ts');
    const expected = [...source.functions.values()].map(({ metadata }) => `${metadata.name}:${Object.values(metadata.bindings).find((binding) => /trigger$/i.test(binding.type))?.type}`).sort();
    expect(triggers(compiled)).toEqual(expected);
    expect(expected).toEqual(expect.arrayContaining(['fleetSweep:timerTrigger', 'alertDrain:timerTrigger', 'aksEvents:eventGridTrigger', 'policyEvents:eventGridTrigger', 'report:httpTrigger', 'rolloutsCreate:httpTrigger', 'rolloutOrchestrator:orchestrationTrigger', 'rolloutAdvance:activityTrigger']));
    // These load on the first SDK call (lib/azure/clients.ts): an eager import anywhere fails here.
    const packages = new Set((compiled.files ?? []).map((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1]));
    expect(HEAVY_SDKS.filter((name) => packages.has(name))).toEqual([]);
    expect(packages.has('@azure/functions') && packages.has('durable-functions')).toBe(true);
  });

  it('bundled, registers the same functions with identical bindings and reads nothing from node_modules at start-up', () => {
    const bundled = probe(path.join(bundleDir, 'index.js'));
    const describeAll = (result: ProbeResult) => result.registrations.map(({ name, trigger, bindings }) => `${name}:${trigger}:${bindings}`).sort();
    expect(describeAll(bundled)).toEqual(describeAll(compiled));
    expect((bundled.files ?? []).filter((url) => !url.startsWith(pathToFileURL(bundleDir).href))).toEqual([]);
  });

  describe('bundled, invoked through the host', () => {
    let local: LocalAzure;
    let host: LocalFunctionsHost;
    let shim: DurableClientShim;

    beforeAll(async () => {
      local = await startLocalAzure({
        snapshot: loadSnapshot(conformanceSample),
        tablesConnectionString: azuriteConnectionString(),
        settings: { FLEETGUARD_FINDINGS_TABLE: uniqueTableName('csfindings'), FLEETGUARD_SWEEPS_TABLE: uniqueTableName('cssweeps') },
      });
      Object.assign(process.env, local.settings);
      host = await LocalFunctionsHost.load(pathToFileURL(path.join(bundleDir, 'index.js')).href);
      shim = await startDurableClientShim(new LocalDurableHost(host, new VirtualClock()));
      host.bindingInputs.set('durableClient', { string: JSON.stringify(shim.clientData) });
    });
    afterAll(async () => {
      await shim.close();
      await local.close();
    });

    it('a timer tick sweeps the fleet through the lazily loaded SDK chunks', async () => {
      await host.invokeTimer('fleetSweep');
      const clients = createAzureClients(parseConfig(local.settings));
      expect(await clients.findings!.listFindings({ status: 'open' })).toHaveLength(12);
      expect((await clients.sweeps!.latest(1))[0]).toMatchObject({ trigger: 'timer', status: 'succeeded', findings: 12 });
    });

    it('the Durable client works with the deferred axios: a rollout starts and its status is read back', async () => {
      const headers = { 'x-ms-client-principal': encodePrincipal({ name: 'max@contoso.com', roles: ['Rollouts.Manage'] }) };
      const body = JSON.stringify({ target: '1.32', waves: { byTag: 'ring' }, waveSettings: { maxParallel: 2, soakMinutes: 10, requireApproval: true }, allowMultiMinorHops: true });
      const created = await host.invokeHttp('rolloutsCreate', { method: 'POST', path: '/api/rollouts', headers, body });
      expect(created.status).toBe(202);
      const id = (created.body as { id: string }).id;
      // getStatus errors read as "not found" in the handler, so only a working client gives the orchestration back.
      const status = await host.invokeHttp('rolloutsGet', { method: 'GET', path: `/api/rollouts/${id}`, headers, params: { id } });
      expect(status).toMatchObject({ status: 200, body: { instanceId: id, name: 'rolloutOrchestrator' } });
    });
  });
});
