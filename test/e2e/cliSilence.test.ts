/**
 * `fleetguard silence` (issue 17, Why "Silent acceptance": `silence create --rule NO-SUCH-RULE
 * --duration 9999d` was accepted and a second `--rule` silently replaced the first; the CLI skipped
 * FLEETGUARD_MAX_ACTIVE_SILENCES). `fleetguard` runs in process against Azurite, its settings in
 * process.env as a process would have them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AlertStore } from '../../lib/alerts/alertStore.js';
import { handleSilencesRequest } from '../../lib/alerts/silencesApi.js';
import { encodePrincipal } from '../../lib/auth/principal.js';
import { forgetConfigForLocalHost } from '../../lib/config.js';
import { runCliInProcess } from '../harness/cli.js';
import { azuriteConnectionString, azuriteTable, uniqueTableName } from '../harness/tables.js';

const SETTINGS = ['AzureWebJobsStorage', 'FLEETGUARD_ALERTS_TABLE', 'FLEETGUARD_MAX_ACTIVE_SILENCES', 'FLEETGUARD_MAX_SILENCE_DURATION'] as const;
const saved = Object.fromEntries(SETTINGS.map((name) => [name, process.env[name]]));
const table = uniqueTableName('clisilences');

async function fleetguard(args: string[]) {
  forgetConfigForLocalHost();
  return runCliInProcess(args);
}

const create = (...rest: string[]) => fleetguard(['silence', 'create', '--duration', '2h', '--author', 'ana', '--comment', 'ticket 7', ...rest]);

beforeAll(() => {
  process.env['AzureWebJobsStorage'] = azuriteConnectionString();
  process.env['FLEETGUARD_ALERTS_TABLE'] = table;
  process.env['FLEETGUARD_MAX_ACTIVE_SILENCES'] = '3';
  delete process.env['FLEETGUARD_MAX_SILENCE_DURATION'];
});

afterAll(() => {
  for (const name of SETTINGS) {
    const value = saved[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  forgetConfigForLocalHost();
});

describe('fleetguard silence create', () => {
  it('refuses a rule the catalog does not know, naming the flag, before touching storage', async () => {
    const run = await create('--rule', 'NO-SUCH-RULE');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^fleetguard: --rule NO-SUCH-RULE: not a rule of the catalog/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a duration over FLEETGUARD_MAX_SILENCE_DURATION (default 30d), and follows the setting', async () => {
    const long = await fleetguard(['silence', 'create', '--rule', 'AKS-ENTRA', '--duration', '9999d', '--author', 'ana', '--comment', 'x']);
    expect(long.status).toBe(2);
    expect(long.stderr).toContain('--duration 9999d: at most 30d (FLEETGUARD_MAX_SILENCE_DURATION)');
    process.env['FLEETGUARD_MAX_SILENCE_DURATION'] = '1h';
    try {
      expect((await create('--rule', 'AKS-ENTRA')).stderr).toContain('at most 1h');
    } finally {
      delete process.env['FLEETGUARD_MAX_SILENCE_DURATION'];
    }
  });

  it('creates one silence per --rule (the second no longer replaces the first), then the cap of active silences holds', async () => {
    const two = await create('--rule', 'AKS-ENTRA', '--rule', 'aks-local-accounts', '--cluster', 'web-dev');
    expect(two.stderr).toBe('');
    expect(two.status).toBe(0);
    expect(two.stdout).toContain('(rule AKS-ENTRA)');
    expect(two.stdout).toContain('(rule AKS-LOCAL-ACCOUNTS)');

    const listed = JSON.parse((await fleetguard(['silence', 'list', '--format', 'json'])).stdout) as {
      silences: Array<{ matchers: { ruleId?: string; cluster?: string }; state: string }>;
    };
    expect(listed.silences.map((silence) => silence.matchers).sort((a, b) => (a.ruleId ?? '').localeCompare(b.ruleId ?? ''))).toEqual([
      { ruleId: 'AKS-ENTRA', cluster: 'web-dev' },
      { ruleId: 'AKS-LOCAL-ACCOUNTS', cluster: 'web-dev' },
    ]);
    expect(listed.silences.every((silence) => silence.state === 'active')).toBe(true);

    // FLEETGUARD_MAX_ACTIVE_SILENCES=3 and 2 are active: two more would pass it, one does not.
    const over = await create('--rule', 'AKS-DEFENDER', '--rule', 'AKS-KEYVAULT-CSI');
    expect(over.status).toBe(2);
    expect(over.stderr).toContain('the limit is 3 (FLEETGUARD_MAX_ACTIVE_SILENCES)');
    expect((await create('--rule', 'AKS-DEFENDER')).status).toBe(0);
    expect((await create('--tag', 'env=dev')).status).toBe(2);
  });

  it('lists silences as a readable table', async () => {
    const run = await fleetguard(['silence', 'list']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/State\s+│\s+Matches/);
    expect(run.stdout).toContain('rule=AKS-ENTRA');
    expect(run.stdout).toContain('cluster=web-dev');
    expect(run.stdout).toContain('3 active, 0 pending or expired');
    expect(run.stdout).not.toContain('{"ruleId"');
  });
});

describe('POST /api/silences', () => {
  it('refuses a duration over the configured maximum (FLEETGUARD_MAX_SILENCE_DURATION)', async () => {
    const store = new AlertStore(azuriteTable(uniqueTableName('apisilences')));
    const principalHeader = encodePrincipal({ name: 'max@contoso.com', roles: ['Alerts.Manage'] });
    const request = (duration: string) => ({
      method: 'POST',
      principalHeader,
      params: {},
      body: JSON.stringify({ matchers: { ruleId: 'AKS-ENTRA' }, duration, comment: 'x' }),
    });
    const limits = { maxActive: 10, maxDurationMs: 3_600_000 };
    expect(await handleSilencesRequest('create', request('2h'), store, new Date(), limits)).toEqual({ status: 400, body: { error: 'duration: at most 1h' } });
    expect((await handleSilencesRequest('create', request('1h'), store, new Date(), limits)).status).toBe(201);
  });
});
