/**
 * The deployable entry, compiled (dist/, built by `pretest`) and packaged (the bundle, as
 * `npm run package` writes it): what it registers at load, what it must not load then (cold
 * start), and that the package runs functions from a folder without node_modules.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAzureClients } from '../../lib/app/clients.js';
import { encodePrincipal } from '../../lib/auth/principal.js';
import { parseConfig } from '../../lib/config.js';
import { BUNDLE_FOLDER, packageFunctions } from '../../lib/infra/packageFunctions.js';
import { type DurableClientShim, startDurableClientShim } from '../../tooling/local/durableClientShim.js';
import { LocalDurableHost, VirtualClock } from '../../tooling/local/durableHost.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import type { ProbeResult } from '../bench/coldStartProbe.js';
import { HEAVY_SDKS } from '../bench/coldStartSdks.js';
import { conformanceSample, projectRoot } from '../harness/fixtures.js';
import { LocalFunctionsHost } from '../harness/functionsHost.js';
import { azuriteConnectionString, uniqueTableName } from '../harness/tables.js';

const compiledEntry = path.join(projectRoot, 'dist', 'functions', 'index.js');
// A copy outside the repository: no node_modules anywhere up its path, as on the Function App.
const packageDir = mkdtempSync(path.join(tmpdir(), 'fleetguard-package-'));

/** A fresh Node process loads the module as the worker would and reports what happened. */
function probe(...args: string[]): ProbeResult {
  const script = path.join(projectRoot, 'dist', 'test', 'bench', 'coldStartProbe.js');
  const stdout = execFileSync(process.execPath, [script, ...args, '--modules'], {
    cwd: projectRoot,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as ProbeResult;
}

const triggers = (result: ProbeResult) => result.registrations.map(({ name, trigger }) => `${name}:${trigger}`).sort();
const packagesLoaded = (result: ProbeResult) => new Set((result.files ?? []).flatMap((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? []));
const packageMain = () => path.join(packageDir, (JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { main: string }).main);

describe('the deployable Functions entry', () => {
  let compiled: ProbeResult;

  beforeAll(async () => {
    compiled = probe(compiledEntry);
    await packageFunctions({ entry: compiledEntry, outdir: packageDir });
  });
  afterAll(() => rmSync(packageDir, { recursive: true, force: true }));

  it('registers every function of the app (as the sources do), loading no package beyond the two programming models and the cron parser', async () => {
    const source = await LocalFunctionsHost.load('../../functions/index.ts');
    const expected = [...source.functions.values()]
      .map(({ metadata }) => `${metadata.name}:${Object.values(metadata.bindings).find((binding) => /trigger$/i.test(binding.type))?.type}`)
      .sort();
    expect(triggers(compiled)).toEqual(expected);
    expect(expected).toEqual(
      expect.arrayContaining([
        'fleetSweep:timerTrigger',
        'alertDrain:timerTrigger',
        'aksEvents:eventGridTrigger',
        'policyEvents:eventGridTrigger',
        'report:httpTrigger',
        'rolloutsCreate:httpTrigger',
        'rolloutOrchestrator:orchestrationTrigger',
        'rolloutAdvance:activityTrigger',
      ]),
    );
    // Handlers import lib/ on their first call and the schedules are read without lib/config.ts (only
    // croner, which has no dependencies, validates them at registration), so an eager import in
    // functions/ (zod, a store, an SDK, a cron library that brings its own date library) fails here.
    const frameworks = packagesLoaded(probe('--sequence', '@azure/functions,durable-functions'));
    const packages = packagesLoaded(compiled);
    expect([...packages].filter((name) => !frameworks.has(name)).sort()).toEqual(['croner']);
    expect(HEAVY_SDKS.filter((name) => packages.has(name))).toEqual([]);
    expect(packages.has('@azure/functions') && packages.has('durable-functions')).toBe(true);
    const appModules = (compiled.files ?? []).filter((url) => url.includes('/dist/lib/')).map((url) => url.replace(/^.*\/dist\/lib\//, ''));
    expect(appModules).toEqual(expect.arrayContaining(['timerSchedules.js', 'upgrades/orchestrators.js']));
    expect(appModules.filter((module) => ['config.js', 'app/runtime.js', 'app/clients.js'].includes(module))).toEqual([]);
  });

  it('packaged: host.json, the detection queries, no dependencies; its main registers the same functions with identical bindings, reading nothing outside the folder at start-up', () => {
    expect(readdirSync(packageDir).sort()).toEqual([BUNDLE_FOLDER, 'host.json', 'lib', 'package.json']);
    expect(readdirSync(path.join(packageDir, 'lib', 'detections', 'queries')).sort()).toEqual(
      readdirSync(path.join(projectRoot, 'lib', 'detections', 'queries')).sort(),
    );
    const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: 'aks-fleet-guard', type: 'module', main: `${BUNDLE_FOLDER}/index.js` });
    expect(Object.keys(manifest).filter((key) => /dependencies/i.test(key))).toEqual([]);
    for (let folder = packageDir; folder !== path.dirname(folder); folder = path.dirname(folder))
      expect(existsSync(path.join(folder, 'node_modules'))).toBe(false);
    // The bundle holds our code from functions/ and lib/ only: none of tooling/ (the simulator, the
    // local hosts, the demo). esbuild marks each module it inlines with a `// path` comment.
    const bundled = readdirSync(path.join(packageDir, BUNDLE_FOLDER), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.js'));
    const ourModules = new Set(
      bundled.flatMap((file) =>
        [...readFileSync(path.join(packageDir, BUNDLE_FOLDER, file), 'utf8').matchAll(/^\/\/ dist\/([a-z]+)\//gm)].map((match) => match[1]),
      ),
    );
    expect([...ourModules].sort()).toEqual(['functions', 'lib']);

    const packaged = probe(packageMain());
    const describeAll = (result: ProbeResult) => result.registrations.map(({ name, trigger, bindings }) => `${name}:${trigger}:${bindings}`).sort();
    expect(describeAll(packaged)).toEqual(describeAll(compiled));
    expect(packaged.registrations).toHaveLength(compiled.registrations.length);
    expect((packaged.files ?? []).filter((url) => !url.startsWith(pathToFileURL(packageDir).href))).toEqual([]);
  });

  describe('packaged, invoked through the host', () => {
    let local: LocalAzure;
    let host: LocalFunctionsHost;
    let shim: DurableClientShim;
    let durable: LocalDurableHost;

    beforeAll(async () => {
      local = await startLocalAzure({
        snapshot: loadSnapshot(conformanceSample),
        tablesConnectionString: azuriteConnectionString(),
        settings: { FLEETGUARD_FINDINGS_TABLE: uniqueTableName('csfindings'), FLEETGUARD_SWEEPS_TABLE: uniqueTableName('cssweeps') },
      });
      Object.assign(process.env, local.settings);
      host = await LocalFunctionsHost.load(pathToFileURL(packageMain()).href);
      durable = new LocalDurableHost(host, new VirtualClock());
      shim = await startDurableClientShim(durable);
      host.bindingInputs.set('durableClient', { string: JSON.stringify(shim.clientData) });
    });
    afterAll(async () => {
      await shim.close();
      await local.close();
    });

    // Detections read their queries from the package (a missing one fails the sweep's detection stage).
    it('a timer tick sweeps the fleet through the lazily loaded chunks', async () => {
      await host.invokeTimer('fleetSweep');
      const clients = createAzureClients(parseConfig(local.settings));
      // The conformance sample's 12 §1 findings and AKS-SYSTEM-POOL-ZONES on its three zoneless system pools.
      expect(await clients.findings!.listFindings({ status: 'open' })).toHaveLength(15);
      expect((await clients.sweeps!.latest(1))[0]).toMatchObject({ trigger: 'timer', status: 'succeeded', findings: 15 });
    });

    it('deferred axios, validator and moment work: a rollout starts, its orchestrator runs to the approval gate, its status is read back', async () => {
      const headers = { 'x-ms-client-principal': encodePrincipal({ name: 'max@contoso.com', roles: ['Rollouts.Manage'] }) };
      const body = JSON.stringify({
        target: '1.32',
        waves: { byTag: 'ring' },
        waveSettings: { maxParallel: 2, soakMinutes: 10, requireApproval: true },
        allowMultiMinorHops: true,
      });
      const created = await host.invokeHttp('rolloutsCreate', { method: 'POST', path: '/api/rollouts', headers, body });
      expect(created.status).toBe(202);
      const id = (created.body as { id: string }).id;
      // The orchestrator (moment in its context) and the activities (a lazily imported chunk) run from the package.
      await durable.run({ maxSteps: 500, until: () => (durable.getStatus(id)?.customStatus as { status?: string } | null)?.status === 'WaitingForApproval' });
      // getStatus errors read as "not found" in the handler, so only a working client gives the orchestration back.
      const status = await host.invokeHttp('rolloutsGet', { method: 'GET', path: `/api/rollouts/${id}`, headers, params: { id } });
      expect(status).toMatchObject({
        status: 200,
        body: { instanceId: id, name: 'rolloutOrchestrator', runtimeStatus: 'Running', customStatus: { status: 'WaitingForApproval' } },
      });
    });
  });
});
