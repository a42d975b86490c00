/**
 * Alert delivery benchmark: 10,000 findings across 1,000 clusters, through the planner, the
 * outbox (in-process Azurite) and the drain to the local sink. Prints messages per channel, wall
 * time, throughput and the largest Slack message. A script, not a test.
 *
 *   node dist/test/bench/alertBench.js [--findings 10000] [--clusters 1000]
 */
import { parseArgs } from 'node:util';

import { TableClient } from '@azure/data-tables';

import { parseAlertingDocument } from '../../lib/alerts/alertingConfig.js';
import { AlertPipeline } from '../../lib/alerts/alertPipeline.js';
import { AlertStore } from '../../lib/alerts/alertStore.js';
import { DEFAULT_DRAIN_OPTIONS, drainOutbox } from '../../lib/alerts/outboxDrain.js';
import { httpsPost } from '../../lib/alerts/transport.js';
import type { LifecycleChange } from '../../lib/findings/lifecycle.js';
import { findingFingerprint, SEVERITIES } from '../../lib/model/finding.js';
import { startAzuriteTables } from '../../lib/simulator/azurite.js';
import { startWebhookSink } from '../../lib/simulator/webhookSink.js';
import { routingDocument, SECRETS } from '../harness/alerts.js';

const { values } = parseArgs({ options: { findings: { type: 'string', default: '10000' }, clusters: { type: 'string', default: '1000' } } });
const findingCount = Number(values.findings);
const clusterCount = Number(values.clusters);

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
        ruleId, resourceId, subscriptionId: subscription, clusterName: `aks-${cluster}`, severity, title: `${ruleId} is violated`,
        detail: `Cluster aks-${cluster} violates ${ruleId}. `.repeat(6), practice: 'p', docUrl: 'https://learn.microsoft.com/azure/aks/', subject: undefined,
        fingerprint: findingFingerprint(ruleId, resourceId, undefined), clusterTags: { ring: String(cluster % 4) },
        status: 'open', firstSeen: now, lastSeen: now, resolvedAt: undefined, resolution: undefined, timesOpened: 1, observedAt: now, sweepId: 'bench',
      },
    };
  });
}

const azurite = await startAzuriteTables();
const sink = await startWebhookSink();
try {
  const config = parseAlertingDocument(ROUTES, 'bench', SECRETS);
  const store = new AlertStore(TableClient.fromConnectionString(azurite.connectionString, 'benchAlerts', { allowInsecureConnection: true }));
  await store.ensureTable();
  const now = new Date();
  console.log(`# Alert benchmark: ${findingCount} findings across ${clusterCount} clusters, 4 receivers`);
  const enqueueStarted = performance.now();
  const queued = await new AlertPipeline(config, store).enqueue(changes(now.toISOString()), now);
  const enqueueMs = performance.now() - enqueueStarted;
  console.log(`planned and queued: ${queued.messages} messages from ${queued.alerts} alerts (${queued.notifications} notifications) in ${enqueueMs.toFixed(0)} ms`);
  const drainStarted = performance.now();
  let rounds = 0;
  for (;;) {
    rounds += 1;
    await drainOutbox(store, config, httpsPost, { ...DEFAULT_DRAIN_OPTIONS, now: () => new Date(), endpointOverride: sink.url, caPem: sink.caPem });
    const left = (await Promise.all([...config.receivers.keys()].map((receiver) => store.activeEntries(receiver)))).flat().length;
    if (left === 0 || rounds > 5) break;
  }
  const drainMs = performance.now() - drainStarted;
  const perChannel = new Map<string, number>();
  for (const delivery of sink.deliveries) perChannel.set(delivery.kind, (perChannel.get(delivery.kind) ?? 0) + 1);
  const largestSlack = Math.max(0, ...sink.deliveries.filter((delivery) => delivery.kind === 'slack').map((delivery) => Buffer.byteLength(delivery.rawBody)));
  const largestTeams = Math.max(0, ...sink.deliveries.filter((delivery) => delivery.kind === 'teams').map((delivery) => Buffer.byteLength(delivery.rawBody)));
  console.log(`delivered: ${sink.deliveries.length} messages in ${drainMs.toFixed(0)} ms (${((sink.deliveries.length / drainMs) * 1000).toFixed(0)} messages/s), ${rounds} drain run(s)`);
  console.log(`per channel: ${JSON.stringify(Object.fromEntries(perChannel))}`);
  console.log(`largest Slack message: ${largestSlack} bytes; largest Teams card: ${largestTeams} bytes`);
  console.log(`end to end: ${(enqueueMs + drainMs).toFixed(0)} ms; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  await sink.close();
  await azurite.close();
}
