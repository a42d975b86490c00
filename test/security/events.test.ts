/**
 * Security: forged and junk Event Grid deliveries, driven through the registered `aksEvents`
 * function (and the `fleetSweep` timer) the way the host invokes them, against the simulator (real
 * SDK clients over HTTPS) and Azurite. Anyone who can write an event subscription on a topic can
 * deliver here, so each test is an attacker's event and what it may no longer do. The figures the
 * issue asks for are printed (`[security/events]`), measured on this code and on the code before.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type AzureClients, createAzureClients } from '../../lib/app/clients.js';
import { parseConfig } from '../../lib/config.js';
import type { JsonObject } from '../../tooling/simulator/snapshot.js';
import { type AppHost, startAppHost } from '../harness/appHost.js';
import { sampleEvent } from '../harness/eventFixtures.js';
import { azuriteTable, uniqueTableName } from '../harness/tables.js';

const SUB1 = '11111111-1111-1111-1111-111111111111';
const SUB2 = '22222222-2222-2222-2222-222222222222';
const cluster = (subscription: string, group: string, name: string) =>
  `/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.ContainerService/managedClusters/${name}`;
const WEB_DEV = cluster(SUB1, 'web', 'web-dev');
const PAYMENTS = cluster(SUB1, 'payments', 'payments-prod');
const CHECKOUT = cluster(SUB1, 'checkout', 'checkout-prod');
const BATCH = cluster(SUB2, 'batch', 'batch-staging');
const SEARCH = cluster(SUB2, 'search', 'search-prod');
/** In subscription 3333, which the app is not configured to watch. */
const CANARY = cluster('33333333-3333-3333-3333-333333333333', 'data', 'data-canary');

/** Rows per topic per hour for this app (FLEETGUARD_EVENT_ROWS_PER_TOPIC_HOUR), small so a flood is cheap to send. */
const ROWS_PER_TOPIC_HOUR = 20;

function figure(text: string): void {
  console.log(`[security/events] ${text}`);
}

describe('security: forged Event Grid events, delivered as the host delivers them', () => {
  let app: AppHost;
  let clients: AzureClients;
  let events: TableClient;

  const deliver = (event: Record<string, unknown>) => app.host.invokeEventGrid('aksEvents', event);
  const lastLog = () => app.host.logsOf('aksEvents').at(-1);
  const findings = async (ruleId: string, clusterName: string) =>
    (await clients.findings!.listFindings()).filter((finding) => finding.ruleId === ruleId && finding.clusterName === clusterName && finding.status === 'open');
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

  async function rowsByPartition(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for await (const row of events.listEntities()) counts[row.partitionKey!] = (counts[row.partitionKey!] ?? 0) + 1;
    return counts;
  }
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, count) => sum + count, 0);

  beforeAll(async () => {
    const eventsTable = uniqueTableName('secevents');
    app = await startAppHost({
      FLEETGUARD_FINDINGS_TABLE: uniqueTableName('secfindings'),
      FLEETGUARD_SWEEPS_TABLE: uniqueTableName('secsweeps'),
      FLEETGUARD_EVENTS_TABLE: eventsTable,
      FLEETGUARD_SUBSCRIPTIONS: `${SUB1},${SUB2}`,
      FLEETGUARD_EVENT_ROWS_PER_TOPIC_HOUR: String(ROWS_PER_TOPIC_HOUR),
      FLEETGUARD_HTTP_MAX_RETRIES: '0',
    });
    clients = createAzureClients(parseConfig(app.local.settings));
    events = azuriteTable(eventsTable);
  });
  afterAll(() => app.close());

  it('a ClusterSupportEnded for a cluster outside FLEETGUARD_SUBSCRIPTIONS opens nothing and makes no ARM call', async () => {
    app.local.simulator.requests.clear();
    // data-canary runs 1.32.4: a notice for its own version would open the critical finding.
    await deliver(
      sampleEvent('aks-support-ended.eventgrid.json', { cluster: CANARY, id: 'scope-1', time: minutesAgo(5), data: { kubernetesVersion: '1.32.4' } }),
    );
    const opened = (await findings('AKS-SUPPORT-ENDED', 'data-canary')).length;
    const armCalls = app.local.simulator.requests.entries.filter((entry) => entry.path.toLowerCase().includes('/subscriptions/33333333')).length;
    figure(`forged ClusterSupportEnded, out-of-scope subscription: ${opened} findings opened, ${armCalls} ARM calls for it`);
    expect(lastLog()?.message).toMatch(
      /^event id scope-1, .*: rejected: topic: subscription 33333333-3333-3333-3333-333333333333 is outside the configured scope .*\(completed without retry\)$/,
    );
    expect(lastLog()?.level.toLowerCase()).toBe('warning');
    expect(opened).toBe(0);
    expect(armCalls).toBe(0);
    expect(await clients.notices!.noticesForCluster(CANARY)).toEqual({ support: [], rolling: [] });
  });

  it('51 NodePoolRollingFailed notices for made-up pools open no finding and store no notice', async () => {
    const pools = Array.from({ length: 51 }, (_, index) => (index === 0 ? '$(curl evil)' : `madeup${index}`));
    for (const [index, pool] of pools.entries()) {
      await deliver(
        sampleEvent('aks-nodepool-rolling-failed.eventgrid.json', {
          cluster: PAYMENTS,
          id: `pool-${index}`,
          time: minutesAgo(10),
          data: { nodePoolName: pool },
        }),
      );
    }
    const opened = await findings('AKS-NODEPOOL-ROLLING-FAILED', 'payments-prod');
    figure(`51 NodePoolRollingFailed for made-up pools: ${opened.length} findings opened`);
    expect(opened).toEqual([]);
    expect(lastLog()?.message).toMatch(/pool-50, .*: rejected: data\.nodePoolName: cluster payments-prod has no node pool "madeup50"; dropped/);
    expect((await clients.notices!.noticesForCluster(PAYMENTS)).rolling).toEqual([]);
    // The real pool still counts.
    await deliver(
      sampleEvent('aks-nodepool-rolling-failed.cloudevents.json', {
        cluster: PAYMENTS,
        id: 'pool-real',
        time: minutesAgo(9),
        data: { nodePoolName: 'system' },
      }),
    );
    expect(await findings('AKS-NODEPOOL-ROLLING-FAILED', 'payments-prod')).toEqual([expect.objectContaining({ subject: 'system' })]);
  });

  it('a "succeeded" dated year 9999 is refused, so a later real failure still opens its finding; a few minutes of skew are accepted', async () => {
    await deliver(
      sampleEvent('aks-nodepool-rolling-succeeded.eventgrid.json', {
        cluster: CHECKOUT,
        id: 'future-1',
        time: '9999-12-31T00:00:00Z',
        data: { nodePoolName: 'system' },
      }),
    );
    const refusal = lastLog()?.message;
    await deliver(
      sampleEvent('aks-nodepool-rolling-failed.eventgrid.json', { cluster: CHECKOUT, id: 'future-2', time: minutesAgo(1), data: { nodePoolName: 'system' } }),
    );
    const opened = (await findings('AKS-NODEPOOL-ROLLING-FAILED', 'checkout-prod')).length;
    figure(`a real NodePoolRollingFailed after a forged Succeeded dated 9999: ${opened} findings opened`);
    expect(refusal).toMatch(/future-1, .*: rejected: Event Grid event: eventTime: 9999-12-31T00:00:00\.000Z is more than 5 minutes ahead of our clock/);
    expect(opened).toBe(1);

    // Within the skew (two minutes ahead): accepted, and it resolves the failure as a real success would.
    const ahead = new Date(Date.now() + 2 * 60_000).toISOString();
    await deliver(
      sampleEvent('aks-nodepool-rolling-succeeded.cloudevents.json', { cluster: CHECKOUT, id: 'future-3', time: ahead, data: { nodePoolName: 'system' } }),
    );
    expect(lastLog()?.message).toMatch(/future-3, .*: processed: notice stored/);
    expect(await findings('AKS-NODEPOOL-ROLLING-FAILED', 'checkout-prod')).toEqual([]);
  });

  it('topics with `..`, `.`, empty or encoded segments are refused before any ARM call', async () => {
    const base = `/subscriptions/${SUB1}/resourceGroups`;
    const topics = [
      `${base}/web/providers/Microsoft.ContainerService/managedClusters/..`,
      `${base}/../providers/Microsoft.ContainerService/managedClusters/web-dev`,
      `${base}/web/providers/Microsoft.ContainerService/managedClusters/.`,
      `${base}/./providers/Microsoft.ContainerService/managedClusters/web-dev`,
      `${base}/web%2F..%2F../providers/Microsoft.ContainerService/managedClusters/web-dev`,
      `${base}/web/providers/Microsoft.ContainerService/managedClusters/web-dev%2F..`,
      `${base}//providers/Microsoft.ContainerService/managedClusters/web-dev`,
      `${WEB_DEV}/../../../../../../providers/Microsoft.Authorization/roleAssignments`,
      `/subscriptions/..${base.slice('/subscriptions'.length)}/web/providers/Microsoft.ContainerService/managedClusters/web-dev`,
    ];
    app.local.simulator.requests.clear();
    const outcomes: string[] = [];
    for (const [index, topic] of topics.entries()) {
      const event = sampleEvent('aks-support-ending.eventgrid.json', {
        cluster: WEB_DEV,
        id: `dots-${index}`,
        time: minutesAgo(3),
        data: { kubernetesVersion: '1.30.4' },
      });
      event['topic'] = topic;
      await deliver(event);
      outcomes.push(lastLog()?.message ?? '');
    }
    const seen = app.local.simulator.requests.entries.map((entry) => `${entry.method} ${entry.path} → ${entry.status}`);
    figure(`${topics.length} topics with relative, empty or encoded segments: ARM paths requested: ${seen.length === 0 ? 'none' : seen.join('; ')}`);
    expect(seen).toEqual([]);
    for (const message of outcomes) expect(message).toMatch(/: rejected: topic: not a managed cluster resource id \(/);
  });

  it('300 junk events leave no row; a flood on one topic adds at most the cap per hour; the sweep timer deletes rows past retention', async () => {
    const before = await rowsByPartition();
    const ghost = (index: number) => cluster(SUB2, 'batch', `ghost-${index}`);
    for (let index = 0; index < 100; index += 1) {
      // An event type nobody handles, on a real cluster.
      await deliver({
        ...sampleEvent('aks-support-ending.eventgrid.json', { cluster: BATCH, id: `junk-type-${index}`, time: minutesAgo(30) }),
        eventType: `Microsoft.ContainerService.Junk${index}`,
      });
      // A support notice for a cluster that does not exist.
      await deliver(sampleEvent('aks-support-ending.eventgrid.json', { cluster: ghost(index), id: `junk-ghost-${index}`, time: minutesAgo(30) }));
      // A rolling notice for a pool the cluster does not have.
      await deliver(
        sampleEvent('aks-nodepool-rolling-started.eventgrid.json', {
          cluster: BATCH,
          id: `junk-pool-${index}`,
          time: minutesAgo(30),
          data: { nodePoolName: `junk${index}` },
        }),
      );
    }
    const afterJunk = await rowsByPartition();
    figure(`300 junk events: ${total(afterJunk) - total(before)} rows added (${JSON.stringify(afterJunk)})`);
    expect.soft(total(afterJunk) - total(before)).toBe(0);

    // A flood of valid, distinct events on one topic: processed every time, recorded up to the cap.
    for (let index = 0; index < ROWS_PER_TOPIC_HOUR + 10; index += 1) {
      await deliver(
        sampleEvent('aks-nodepool-rolling-started.eventgrid.json', {
          cluster: SEARCH,
          id: `flood-${index}`,
          time: minutesAgo(40 - index / 10),
          data: { nodePoolName: 'system' },
        }),
      );
    }
    expect
      .soft(lastLog()?.message)
      .toMatch(
        /flood-29, .*: processed: .*; not recorded as processed: its topic already added 20 processed-event rows this hour \(FLEETGUARD_EVENT_ROWS_PER_TOPIC_HOUR\)/,
      );
    const searchRows = async () => {
      let count = 0;
      for await (const row of events.listEntities<{ topic?: string; eventId?: string }>({ queryOptions: { filter: "PartitionKey eq 'processed'" } }))
        if (row.topic?.toLowerCase() === SEARCH.toLowerCase() || String(row.eventId).startsWith('flood-')) count += 1;
      return count;
    };
    const flooded = await searchRows();
    figure(`${ROWS_PER_TOPIC_HOUR + 10} valid events on one topic, cap ${ROWS_PER_TOPIC_HOUR}/hour: ${flooded} processed-id rows`);
    expect.soft(flooded).toBe(ROWS_PER_TOPIC_HOUR);

    // Two days pass for every row but one: the retention (48 h) runs out for them.
    const twoDaysAgo = new Date(Date.now() - 49 * 60 * 60_000).toISOString();
    for await (const row of events.listEntities<Record<string, unknown>>({
      queryOptions: { filter: "PartitionKey eq 'processed' or PartitionKey eq 'rate'" },
    })) {
      if (row['eventId'] === 'flood-0') continue;
      await events.updateEntity(
        { partitionKey: row.partitionKey!, rowKey: row.rowKey!, ...(row.partitionKey === 'rate' ? { windowStart: twoDaysAgo } : { processedAt: twoDaysAgo }) },
        'Merge',
      );
    }
    await app.host.invokeTimer('fleetSweep');
    const afterSweep = await rowsByPartition();
    figure(`after the fleetSweep timer: processed ${afterSweep['processed'] ?? 0}, rate ${afterSweep['rate'] ?? 0} rows (${JSON.stringify(afterSweep)})`);
    expect(afterSweep['processed'] ?? 0).toBe(1);
    expect(afterSweep['rate'] ?? 0).toBe(0);
    expect(await clients.notices!.wasProcessed('flood-0')).toBe(true);
    expect(app.host.logsOf('fleetSweep').map((entry) => entry.message)).toContainEqual(
      expect.stringMatching(/event bookkeeping: \d+ expired processed-event rows deleted/),
    );
  });

  it('no command injection survives in a fix hint: hostile pool, cluster and resource-group names are single shell words', async () => {
    const hostile = {
      pool: 'p$(curl evil)`touch pwned-pool`;touch pwned-semi',
      group: 'rg$(curl evil);touch pwned-rg\ntouch pwned-newline',
      name: 'c`touch pwned-name`$(curl evil)"x\'y',
    };
    // A pool by that name on web-dev (ARM would refuse the name; the simulator keeps it, to test our quoting).
    app.local.simulator.fleet.updateClusterProperties(WEB_DEV, (properties) => {
      const pools = properties['agentPoolProfiles'] as JsonObject[];
      pools.push({ ...structuredClone(pools[0]!), name: hostile.pool });
    });
    await deliver(
      sampleEvent('aks-nodepool-rolling-failed.eventgrid.json', {
        cluster: WEB_DEV,
        id: 'hostile-pool',
        time: minutesAgo(2),
        data: { nodePoolName: hostile.pool },
      }),
    );
    // A cluster whose names are hostile, with everything a posture rule flags, then a sweep.
    const template = structuredClone(app.local.simulator.fleet.clustersOf(SUB2).find((candidate) => candidate['name'] === 'batch-staging')!);
    const properties = template['properties'] as JsonObject;
    Object.assign(template, { id: cluster(SUB2, hostile.group, hostile.name), name: hostile.name });
    Object.assign(properties, {
      disableLocalAccounts: false,
      aadProfile: null,
      autoUpgradeProfile: { upgradeChannel: 'none', nodeOSUpgradeChannel: 'None' },
      networkProfile: { networkPlugin: 'azure', networkPolicy: null },
      addonProfiles: {},
    });
    app.local.simulator.fleet.putCluster(template);
    await app.host.invokeTimer('fleetSweep');

    const all = await clients.findings!.listFindings();
    const details = [
      ...all.filter((finding) => finding.clusterName === hostile.name && finding.status === 'open').map((finding) => finding.detail),
      ...all.filter((finding) => finding.clusterName === 'web-dev' && finding.ruleId === 'AKS-NODEPOOL-ROLLING-FAILED').map((finding) => finding.detail),
    ];
    const commands = details.flatMap(suggestedCommands).filter((command) => / -g /.test(command));
    expect(commands.length).toBeGreaterThanOrEqual(8);

    // Each command run by bash with `az` (and `curl`) replaced by functions that print or mark.
    const sandbox = mkdtempSync(path.join(tmpdir(), 'fleetguard-shell-'));
    let injected = 0;
    try {
      for (const command of commands) {
        const words = runSuggested(command, sandbox);
        const created = readdirSync(sandbox);
        injected += created.length;
        for (const file of created) rmSync(path.join(sandbox, file));
        expect.soft(created, command).toEqual([]);
        // The words bash passes to az: each name whole (control characters shown as `?`).
        const visible = (value: string) => value.replace(/\n/g, '?');
        const after = (flag: string) => words?.[words.indexOf(flag) + 1];
        if (words?.includes('web-dev')) {
          expect.soft(after('--name'), command).toBe(hostile.pool);
        } else {
          expect.soft(after('-g'), command).toBe(visible(hostile.group));
          expect.soft(after(command.includes('--cluster-name') ? '--cluster-name' : '-n'), command).toBe(hostile.name);
        }
      }
    } finally {
      rmSync(sandbox, { recursive: true, force: true });
    }
    figure(`${commands.length} suggested commands with hostile names run in bash: ${injected} injected commands ran`);
    expect(injected).toBe(0);
  });
});

/**
 * The `az ...` commands in a finding's detail, as a reader would copy them: from `az ` to where the
 * prose goes on (`. `, `, `, `; `, `)`, ` (`, ` then `, ` or `), read as a POSIX shell reads it:
 * inside quotes, backticks or `$(...)` nothing ends the command (so an unquoted hostile name is
 * taken whole, as a copy would take it).
 */
function suggestedCommands(detail: string): string[] {
  const commands: string[] = [];
  let from = detail.indexOf('az ');
  while (from !== -1) {
    let index = from;
    let quote: string | undefined;
    let depth = 0;
    for (; index < detail.length; index += 1) {
      const char = detail[index];
      if (quote === "'") {
        if (char === "'") quote = undefined;
        continue;
      }
      if (char === '\\') index += 1;
      else if (char === quote) quote = undefined;
      else if (quote === undefined && (char === "'" || char === '"' || char === '`')) quote = char;
      else if (detail.startsWith('$(', index)) {
        depth += 1;
        index += 1;
      } else if (char === ')' && depth > 0) depth -= 1;
      else if (quote === undefined && depth === 0 && /^(\.\s|\.$|,\s|;\s|\)|\s\(|\s(then|or)\s)/.test(detail.slice(index))) break;
    }
    commands.push(detail.slice(from, index));
    from = detail.indexOf('az ', index);
  }
  return commands;
}

/**
 * Runs a suggested command in bash inside `directory`, with `az` printing its arguments and `curl`
 * leaving a file: the arguments as the shell split them. Placeholders (`<version>`) and the
 * engine choice `cilium|azure|calico` are filled in first: they are for a person to replace.
 */
function runSuggested(command: string, directory: string): string[] | undefined {
  const filled = command.replace(/<[^<>']*>/g, 'PLACEHOLDER').replace('cilium|azure|calico', 'cilium');
  const script = `az() { printf '%s\\0' "$@"; }; curl() { touch pwned-curl; }; ${filled}`;
  try {
    const output = execFileSync('bash', ['-c', script], { cwd: directory, encoding: 'utf8', timeout: 5_000 });
    return output.split('\0').slice(0, -1);
  } catch {
    return undefined;
  }
}
