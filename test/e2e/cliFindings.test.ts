/**
 * `fleetguard findings list|show` (issue 17, Why "Pipelines": no way to list or look up findings from
 * storage). The store is filled by the real lifecycle (FindingsStore.reconcileSubscription over three
 * sweeps: opened, resolved, reopened) on Azurite; `fleetguard` runs in process with the storage
 * settings `report` uses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AlertStore } from '../../lib/alerts/alertStore.js';
import { FAIL_ON_EXIT_CODE } from '../../lib/cli/formats.js';
import { forgetConfigForLocalHost } from '../../lib/config.js';
import { FindingsStore } from '../../lib/findings/findingsStore.js';
import { resourceKey } from '../../lib/model/cluster.js';
import { type Finding, findingFingerprint, type Severity } from '../../lib/model/finding.js';
import { runCliInProcess } from '../harness/cli.js';
import { azuriteConnectionString, azuriteTable, uniqueTableName } from '../harness/tables.js';

const SUB = '11111111-1111-1111-1111-111111111111';
const WEB = `/subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev`;
const PROD = `/subscriptions/${SUB}/resourceGroups/pay/providers/Microsoft.ContainerService/managedClusters/payments-prod`;
const T1 = '2026-11-01T00:00:00.000Z';
const T2 = '2026-11-02T00:00:00.000Z';
const T3 = '2026-11-03T00:00:00.000Z';

function finding(ruleId: string, resourceId: string, severity: Severity, subject?: string): Finding {
  const prod = resourceId === PROD;
  return {
    ruleId,
    resourceId,
    subscriptionId: SUB,
    clusterName: prod ? 'payments-prod' : 'web-dev',
    severity,
    title: `${ruleId} title`,
    detail: `${ruleId} detail`,
    practice: 'practice',
    docUrl: 'https://learn.microsoft.com/azure/aks/',
    subject,
    fingerprint: findingFingerprint(ruleId, resourceId, subject),
    clusterTags: { env: prod ? 'prod' : 'dev' },
  };
}

const A = finding('AKS-LOCAL-ACCOUNTS', WEB, 'high');
const B = finding('AKS-ENTRA', PROD, 'critical');
const C = finding('K8S-PRIVILEGED-POD', WEB, 'medium', 'default/web');
const D = finding('AKS-DEFENDER', PROD, 'low');

const SETTINGS = ['AzureWebJobsStorage', 'FLEETGUARD_FINDINGS_TABLE', 'FLEETGUARD_ALERTS_TABLE'] as const;
const saved = Object.fromEntries(SETTINGS.map((name) => [name, process.env[name]]));
const findingsTable = uniqueTableName('clifindings');
const alertsTable = uniqueTableName('clifindingsalerts');

function scope(sweepId: string, observedAt: string) {
  const coverage = new Map([
    [resourceKey(WEB), new Set([A.ruleId, C.ruleId])],
    [resourceKey(PROD), new Set([B.ruleId, D.ruleId])],
  ]);
  return { subscriptionId: SUB, sweepId, observedAt, coverage, listingComplete: true };
}

async function fleetguard(args: string[]) {
  forgetConfigForLocalHost();
  return runCliInProcess(args);
}

async function listJson(...args: string[]): Promise<Array<Finding & { history: Array<{ kind: string; at: string }>; status: string; silenced: boolean }>> {
  const run = await fleetguard(['findings', 'list', '--format', 'json', ...args]);
  expect(run.stderr, args.join(' ')).toBe('');
  return (JSON.parse(run.stdout) as { findings: Array<Finding & { history: Array<{ kind: string; at: string }>; status: string; silenced: boolean }> })
    .findings;
}

beforeAll(async () => {
  const store = new FindingsStore(azuriteTable(findingsTable));
  await store.ensureTable();
  await store.reconcileSubscription([A, B, C, D], scope('sweep-1', T1));
  await store.reconcileSubscription([B, C], scope('sweep-2', T2));
  await store.reconcileSubscription([A, B, C], scope('sweep-3', T3));
  const alerts = new AlertStore(azuriteTable(alertsTable));
  await alerts.ensureTable();
  const now = Date.now();
  await alerts.createSilence(
    { ruleId: C.ruleId },
    { startsAt: new Date(now - 3_600_000), endsAt: new Date(now + 3_600_000), createdBy: 'ana', comment: 'pod fixed on Friday' },
  );
  const old = await alerts.createSilence(
    { ruleId: B.ruleId },
    { startsAt: new Date(now - 7_200_000), endsAt: new Date(now + 3_600_000), createdBy: 'cy', comment: 'x' },
  );
  await alerts.expireSilence(old.id, new Date(now - 3_600_000), 'bo');
  process.env['AzureWebJobsStorage'] = azuriteConnectionString();
  process.env['FLEETGUARD_FINDINGS_TABLE'] = findingsTable;
  process.env['FLEETGUARD_ALERTS_TABLE'] = alertsTable;
});

afterAll(() => {
  for (const name of SETTINGS) {
    const value = saved[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  forgetConfigForLocalHost();
});

describe('fleetguard findings list', () => {
  it('lists every stored finding worst first, with its history (opened, resolved, reopened)', async () => {
    const all = await listJson();
    expect(all.map((entry) => entry.ruleId)).toEqual([B.ruleId, A.ruleId, C.ruleId, D.ruleId]);
    expect(all.find((entry) => entry.ruleId === A.ruleId)?.history.map((event) => [event.kind, event.at])).toEqual([
      ['opened', T1],
      ['resolved', T2],
      ['reopened', T3],
    ]);
    expect(all.find((entry) => entry.ruleId === C.ruleId)?.silenced).toBe(true);
  });

  it('filters by status, severity, rule, cluster, tag and since', async () => {
    const ids = async (...args: string[]) => (await listJson(...args)).map((entry) => entry.ruleId);
    expect(await ids('--status', 'resolved')).toEqual([D.ruleId]);
    expect(await ids('--status', 'silenced')).toEqual([C.ruleId]);
    expect(await ids('--status', 'open', '--severity', 'critical', '--severity', 'medium')).toEqual([B.ruleId, C.ruleId]);
    expect(await ids('--min-severity', 'high')).toEqual([B.ruleId, A.ruleId]);
    expect(await ids('--rule', 'aks-entra')).toEqual([B.ruleId]);
    expect(await ids('--cluster', 'web-dev')).toEqual([A.ruleId, C.ruleId]);
    expect(await ids('--cluster', PROD.toUpperCase())).toEqual([B.ruleId, D.ruleId]);
    expect(await ids('--tag', 'env=PROD')).toEqual([B.ruleId, D.ruleId]);
    expect(await ids('--since', T2)).toEqual([A.ruleId, D.ruleId]);
  });

  it('escapes what goes into the OData filter: a quote in --rule matches nothing instead of everything', async () => {
    expect(await listJson('--rule', "AKS-ENTRA' or ruleId ne '")).toEqual([]);
  });

  it('prints a table by default, CSV and SARIF on request, and --fail-on counts open findings', async () => {
    const table = await fleetguard(['findings', 'list']);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/Severity\s+│\s+Rule/);
    expect(table.stdout).toContain('4 findings');
    const csv = await fleetguard(['findings', 'list', '--format', 'csv', '--status', 'silenced']);
    expect(csv.stdout.split('\r\n')[1]).toMatch(/^medium,K8S-PRIVILEGED-POD,web-dev,default\/web,.*,silenced,/);
    const sarif = await fleetguard(['findings', 'list', '--format', 'sarif', '--fail-on', 'critical']);
    expect(sarif.status).toBe(FAIL_ON_EXIT_CODE);
    expect((JSON.parse(sarif.stdout) as { runs: Array<{ results: unknown[] }> }).runs[0]?.results).toHaveLength(4);
    expect((await fleetguard(['findings', 'list', '--status', 'resolved', '--fail-on', 'low'])).status).toBe(0);
  });

  it('refuses a --since that is neither a duration nor a time', async () => {
    const run = await fleetguard(['findings', 'list', '--since', 'yesterday']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--since yesterday: expected a duration such as 7d');
  });

  it('says so in words when no sweep has stored findings yet', async () => {
    process.env['FLEETGUARD_FINDINGS_TABLE'] = uniqueTableName('nosweepyet');
    try {
      const run = await fleetguard(['findings', 'list']);
      expect(run).toMatchObject({ status: 0, stderr: '' });
      expect(run.stdout).toMatch(/^No findings: no sweep has stored any yet/);
    } finally {
      process.env['FLEETGUARD_FINDINGS_TABLE'] = findingsTable;
    }
  });
});

describe('fleetguard findings show', () => {
  it('tells one finding’s history by a fingerprint prefix', async () => {
    const run = await fleetguard(['findings', 'show', A.fingerprint.slice(0, 12)]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`First seen:  ${T1}`);
    expect(run.stdout).toContain(`${T2}  resolved (no longer observed)  sweep sweep-2`);
    expect(run.stdout).toContain(`${T3}  reopened  sweep sweep-3`);
    expect(run.stdout).toContain('opened 2 times');
  });

  it('names who silenced it, and who ended a silence early', async () => {
    expect((await fleetguard(['findings', 'show', C.fingerprint])).stdout).toMatch(/Status:\s+silenced[\s\S]*active .* by ana: pod fixed on Friday/);
    expect((await fleetguard(['findings', 'show', B.fingerprint])).stdout).toMatch(/ended .* by cy, ended early by bo/);
  });

  it('refuses what is not a fingerprint, and one that is not stored, exit 2', async () => {
    expect((await fleetguard(['findings', 'show', "x' or '1"])).status).toBe(2);
    const missing = await fleetguard(['findings', 'show', '0'.repeat(64)]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`no finding ${'0'.repeat(64)}`);
  });
});
