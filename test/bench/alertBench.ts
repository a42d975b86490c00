/**
 * Alert delivery benchmark: 10,000 findings across 1,000 clusters through the planner, the outbox
 * (Azurite) and the drain to the local sink. Prints messages queued, queue and delivery time,
 * throughput, what the sink received per destination kind (count, largest body in bytes, repeats),
 * PagerDuty keys triggered more than once, and peak RSS per phase. A script, not a test.
 *
 * Azurite and the sink stand in for Azure Tables and the vendors, which are remote in production,
 * so by default they run in a child process and the RSS printed for the app is the app's own.
 * `--in-process` runs them in this process (the layout of the first measurement, 556 MB).
 *
 *   node dist/test/bench/alertBench.js [--findings 10000] [--clusters 1000] [--in-process]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { TableClient } from '@azure/data-tables';

import { parseAlertingDocument } from '../../lib/alerts/alertingConfig.js';
import { AlertPipeline } from '../../lib/alerts/alertPipeline.js';
import { AlertStore } from '../../lib/alerts/alertStore.js';
import { DEFAULT_DRAIN_OPTIONS, drainOutbox } from '../../lib/alerts/outboxDrain.js';
import { httpsPost } from '../../lib/alerts/transport.js';
import type { LifecycleChange } from '../../lib/findings/lifecycle.js';
import { findingFingerprint, SEVERITIES } from '../../lib/model/finding.js';
import { startAzuriteTables } from '../../tooling/simulator/azurite.js';
import { startWebhookSink } from '../../tooling/simulator/webhookSink.js';
import { routingDocument, SECRETS } from '../harness/alerts.js';
import { type ReceiversEndpoints, type ReceiversMessage, type ReceiversStats, summarisePagerDuty } from './alertReceiversProcess.js';

const { values } = parseArgs({
  options: { findings: { type: 'string', default: '10000' }, clusters: { type: 'string', default: '1000' }, 'in-process': { type: 'boolean', default: false } },
});
const findingCount = Number(values.findings);
const clusterCount = Number(values.clusters);
const inProcess = values['in-process'];

const ROUTES = routingDocument(`
- { name: page, receiver: pager, match: { minSeverity: critical }, continue: true }
- { name: audit, receiver: hook, groupBy: [subscription], continue: true }
- { name: teams, receiver: teams, match: { minSeverity: high }, groupBy: [subscription], continue: true }
- { name: digest, receiver: slack, groupBy: [cluster] }
`);

function changes(now: string): LifecycleChange[] {
  return Array.from({ length: findingCount }, (_unused, index) => {
    const cluster = index % clusterCount;
    const subscription = `${String(cluster % 40).padStart(8, '0')}-0000-4000-8000-000000000000`;
    const resourceId = `/subscriptions/${subscription}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-${cluster}`;
    const ruleId = `AKS-RULE-${Math.floor(index / clusterCount)}`;
    const severity = SEVERITIES[index % 4] ?? 'low';
    return {
      kind: 'opened',
      previous: undefined,
      next: {
        ruleId,
        resourceId,
        subscriptionId: subscription,
        clusterName: `aks-${cluster}`,
        severity,
        title: `${ruleId} is violated`,
        detail: `Cluster aks-${cluster} violates ${ruleId}. `.repeat(6),
        practice: 'p',
        docUrl: 'https://learn.microsoft.com/azure/aks/',
        subject: undefined,
        fingerprint: findingFingerprint(ruleId, resourceId, undefined),
        clusterTags: { ring: String(cluster % 4) },
        status: 'open',
        firstSeen: now,
        lastSeen: now,
        resolvedAt: undefined,
        resolution: undefined,
        timesOpened: 1,
        observedAt: now,
        sweepId: 'bench',
      },
    };
  });
}

interface Receivers {
  endpoints: ReceiversEndpoints;
  stats(): Promise<ReceiversStats>;
  close(): Promise<void>;
}

async function receiversInProcess(): Promise<Receivers> {
  const azurite = await startAzuriteTables();
  const sink = await startWebhookSink({ retainDeliveries: false });
  return {
    endpoints: { connectionString: azurite.connectionString, sinkUrl: sink.url, caPem: sink.caPem },
    stats: () => Promise.resolve({ tallies: Object.fromEntries(sink.tallies), ...summarisePagerDuty(sink.pagerDuty), rssMb: 0, peakRssMb: 0 }),
    close: async () => {
      await sink.close();
      await azurite.close();
    },
  };
}

async function receiversInChild(): Promise<Receivers> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./alertReceiversProcess.js', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.on('message', (message: { id: number; result?: unknown; error?: string }) => {
    const entry = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error !== undefined) entry?.reject(new Error(`receivers process: ${message.error}`));
    else entry?.resolve(message.result);
  });
  child.on('exit', (code) => {
    for (const entry of waiting.values()) entry.reject(new Error(`receivers process exited with ${code}`));
    waiting.clear();
  });
  const call = <T>(kind: ReceiversMessage['kind']): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ kind, id });
    });
  return { endpoints: await call<ReceiversEndpoints>('start'), stats: () => call<ReceiversStats>('stats'), close: () => call<void>('close') };
}

/** Peak RSS and heap of this process per phase, sampled (GC runs lazily, so peaks are what matters). */
class MemoryPhases {
  private phase = 'start';
  readonly peaks = new Map<string, { rssMb: number; heapUsedMb: number }>();
  private readonly timer = setInterval(() => this.sample(), 20);
  enter(phase: string): void {
    this.sample();
    this.phase = phase;
  }
  private sample(): void {
    const usage = process.memoryUsage();
    const peak = this.peaks.get(this.phase) ?? { rssMb: 0, heapUsedMb: 0 };
    peak.rssMb = Math.max(peak.rssMb, Math.round(usage.rss / 1024 / 1024));
    peak.heapUsedMb = Math.max(peak.heapUsedMb, Math.round(usage.heapUsed / 1024 / 1024));
    this.peaks.set(this.phase, peak);
  }
  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

const memory = new MemoryPhases();
const cpu = cpus();
console.log(
  `# Alert benchmark: ${findingCount} findings across ${clusterCount} clusters, 4 receivers; Azurite and sink ${inProcess ? 'in this process' : 'in a child process'}`,
);
console.log(`machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`);
const receivers = await (inProcess ? receiversInProcess() : receiversInChild());
try {
  const { connectionString, sinkUrl, caPem } = receivers.endpoints;
  const config = parseAlertingDocument(ROUTES, 'bench', SECRETS);
  const store = new AlertStore(TableClient.fromConnectionString(connectionString, 'benchAlerts', { allowInsecureConnection: true }));
  await store.ensureTable();
  const now = new Date();
  memory.enter('queue');
  const enqueueStarted = performance.now();
  const queued = await new AlertPipeline(config, store).enqueue(changes(now.toISOString()), now);
  const enqueueMs = performance.now() - enqueueStarted;
  console.log(`queued: ${queued.messages} messages from ${queued.alerts} alerts (${queued.notifications} notifications) in ${(enqueueMs / 1000).toFixed(1)} s`);

  memory.enter('deliver');
  const drainStarted = performance.now();
  let rounds = 0;
  let left = 0;
  do {
    rounds += 1;
    await drainOutbox(store, config, httpsPost, { ...DEFAULT_DRAIN_OPTIONS, now: () => new Date(), endpointOverride: sinkUrl, caPem });
    left = (await Promise.all([...config.receivers.keys()].map((receiver) => store.activeCount(receiver)))).reduce((sum, count) => sum + count, 0);
  } while (left > 0 && rounds < 5);
  const drainMs = performance.now() - drainStarted;
  memory.stop();

  const stats = await receivers.stats();
  const received = Object.values(stats.tallies).reduce((sum, tally) => sum + tally.deliveries, 0);
  const repeats = Object.values(stats.tallies).reduce((sum, tally) => sum + tally.repeats, 0);
  console.log(
    `delivered: ${received} messages in ${(drainMs / 1000).toFixed(1)} s (${((received / drainMs) * 1000).toFixed(0)} messages/s), ${rounds} drain run(s), ${left} left in the outbox`,
  );
  console.log('at the sink, per destination kind:');
  for (const [kind, tally] of Object.entries(stats.tallies).sort(([left], [right]) => left.localeCompare(right))) {
    console.log(
      `  ${kind.padEnd(9)} ${String(tally.deliveries).padStart(5)} messages, largest ${String(tally.largestBytes).padStart(6)} bytes, ${(tally.bytes / 2 ** 20).toFixed(1)} MB in all, ${tally.repeats} repeats`,
    );
  }
  console.log(
    `duplicates at the sink: ${repeats} (must be 0); PagerDuty: ${stats.pagerDutyKeys} dedup keys, ${stats.pagerDutyRetriggered} triggered more than once, ${stats.pagerDutyReopened} paged twice`,
  );
  console.log(`lost: ${queued.messages - received + repeats} (queued minus distinct deliveries)`);
  console.log(`end to end: ${((enqueueMs + drainMs) / 1000).toFixed(1)} s`);
  const phases = [...memory.peaks].map(([phase, peak]) => `${phase} ${peak.rssMb} MB (heap ${peak.heapUsedMb} MB)`).join(', ');
  console.log(`peak RSS of the app process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; by phase: ${phases}`);
  if (!inProcess) console.log(`peak RSS of the Azurite + sink process: ${stats.peakRssMb} MB`);
} finally {
  await receivers.close();
}
