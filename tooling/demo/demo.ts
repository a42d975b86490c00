/**
 * `fleetguard sweep --demo`: the whole pipeline on the built-in sample fleet. The real SDK clients
 * talk HTTPS to the simulator, findings go to in-process Azurite, and a second sweep after a
 * remediation shows the lifecycle (open → resolved).
 */
import { AlertPipeline } from '../../lib/alerts/alertPipeline.js';
import { DEFAULT_DRAIN_OPTIONS, drainOutbox } from '../../lib/alerts/outboxDrain.js';
import { httpsPost } from '../../lib/alerts/transport.js';
import { createAzureClients, sweepDependencies } from '../../lib/app/clients.js';
import type { CommandOutput } from '../../lib/cli/sweepCommand.js';
import { formatSweepTable } from '../../lib/cli/sweepTable.js';
import { handleEvent } from '../../lib/events/handleEvent.js';
import type { ReportSources } from '../../lib/report/reportData.js';
import { runSweep } from '../../lib/sweep/runSweep.js';
import type { SweepResult } from '../../lib/sweep/sweepResult.js';
import { formatSweepSummary } from '../../lib/sweep/sweepSummary.js';
import { startLocalAzure } from '../simulator/localAzure.js';
import { sampleFleetDirectory } from '../simulator/sampleFleet.js';
import { loadSnapshot } from '../simulator/snapshot.js';
import { snapshotInClusterReader } from '../simulator/snapshotKubernetes.js';
import { type RunningSink, startWebhookSink } from '../simulator/webhookSink.js';
import { DEMO_WEB_DEV, rehearseDemoRollout } from './demoRollout.js';
import { inClusterLines } from './inClusterLines.js';
import { acknowledgeInPagerDuty } from './pagerDutyAck.js';
import { demoSlackButton } from './slackButtonLine.js';

const CHECKOUT =
  '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/checkout/providers/Microsoft.ContainerService/managedClusters/checkout-prod';
const LEGACY =
  '/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/legacy/providers/Microsoft.ContainerService/managedClusters/legacy-reporting';

function banner(title: string): string {
  return `\n=== ${title} ${'='.repeat(Math.max(0, 76 - title.length))}`;
}

/** The demo's Slack channel (the sink's Slack workspace has it, with the app as a member). */
const DEMO_SLACK_CHANNEL = 'C0DEMOALERTS';

/** Demo routing: high and critical page PagerDuty and go to a Slack app message per cluster, critical also opens Opsgenie alerts; everything goes to a Slack digest per subscription. */
const DEMO_ROUTES = `
receivers:
  - { name: pagerduty-oncall, type: pagerduty, routingKeySetting: DEMO_PAGERDUTY_ROUTING_KEY, webhookSecretSetting: DEMO_PAGERDUTY_WEBHOOK_SECRET }
  - { name: slack-platform, type: slack, webhookUrlSetting: DEMO_SLACK_WEBHOOK_URL }
  - { name: opsgenie-platform, type: opsgenie, apiKeySetting: DEMO_OPSGENIE_API_KEY }
  - { name: slack-app, type: slackApp, botTokenSetting: DEMO_SLACK_BOT_TOKEN, channel: ${DEMO_SLACK_CHANNEL}, signingSecretSetting: DEMO_SLACK_SIGNING_SECRET, allowedActors: [{ slackUserId: U0DEMOALICE, principal: alice@contoso.com }] }
routes:
  - { name: page-high, receiver: pagerduty-oncall, match: { minSeverity: high }, continue: true }
  - { name: opsgenie-critical, receiver: opsgenie-platform, match: { minSeverity: critical }, continue: true }
  - { name: slack-app-clusters, receiver: slack-app, match: { minSeverity: high }, groupBy: [cluster], repeatInterval: 4h, continue: true }
  - { name: slack-digest, receiver: slack-platform, groupBy: [subscription], repeatInterval: 4h }
`;

/** Demo-only fake secrets: they go to the local sink, never to a vendor. */
export const DEMO_SECRETS = {
  DEMO_PAGERDUTY_ROUTING_KEY: 'demo0000routing0000key0000000000',
  DEMO_PAGERDUTY_WEBHOOK_SECRET: 'demo0000pagerduty0000webhook0secret',
  DEMO_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/TDEMO0000/BDEMO0000/demo-not-a-real-token',
  DEMO_OPSGENIE_API_KEY: 'demo0000-0000-0000-0000-opsgeniekey0',
  DEMO_SLACK_BOT_TOKEN: 'xoxb-000000000000-0000000000000-demoNotARealBotToken',
  DEMO_SLACK_SIGNING_SECRET: 'demo0000signing0000secret000000000',
};

/** The demo channel's messages as one line each: text, edits, thread replies. */
function slackAppLines(sink: RunningSink): string[] {
  return (sink.slack.channels.get(DEMO_SLACK_CHANNEL)?.messages ?? []).map(
    (message) =>
      `  ${message.text} · updated ${message.edits.length}× · thread: ${message.replies.length} ${message.replies.length === 1 ? 'reply' : 'replies'}`,
  );
}

function deliveriesSummary(sink: RunningSink, since: number): string {
  const recent = sink.deliveries.slice(since);
  const byKind = new Map<string, number>();
  for (const delivery of recent) byKind.set(delivery.kind, (byKind.get(delivery.kind) ?? 0) + 1);
  return [...byKind].map(([kind, count]) => `${count} to ${kind}`).join(', ') || 'nothing';
}

function excerpt(value: unknown, lines: number): string {
  const text = JSON.stringify(value, null, 2).split('\n');
  return [...text.slice(0, lines), ...(text.length > lines ? [`  … (${text.length - lines} more lines)`] : [])].join('\n');
}

/**
 * Runs the demo, telling it on `output` when `narrate` (without it, `sweep --demo --json` prints the
 * first sweep as `sweep --json` does); answers the exit status and that sweep. `atEnd`, when given,
 * reads the demo's final state before it is torn down: its findings and sweep records, and the
 * rollouts of its rehearsal (`report --demo` renders exactly that).
 */
export async function runDemo(
  output: CommandOutput,
  options: { narrate?: boolean; atEnd?: (sources: ReportSources) => Promise<void> } = {},
): Promise<{ exitCode: number; sweep: SweepResult }> {
  const say = options.narrate === false ? () => undefined : output.stdout;
  const sink = await startWebhookSink();
  sink.slack.addChannel(DEMO_SLACK_CHANNEL);
  // The drain paces Slack posts (one a second per channel) on this clock: the demo moves it on instead of waiting.
  let skewMs = 0;
  const demoNow = () => new Date(Date.now() + skewMs);
  sink.slack.now = () => demoNow().getTime();
  const snapshot = loadSnapshot(sampleFleetDirectory());
  const local = await startLocalAzure({
    snapshot,
    withTables: true,
    settings: { FLEETGUARD_ALERT_ROUTES: DEMO_ROUTES, FLEETGUARD_ALERT_ENDPOINT: sink.url, ...DEMO_SECRETS },
  });
  const drain = async (): Promise<void> => {
    if (!local.config.alerts || !clients.alertStore) return;
    // In the app the drain runs every 30 seconds: the demo moves its clock on by as much, so Slack's
    // one-post-a-second pacing is not broken by two drains the demo runs back to back.
    skewMs += 30_000;
    const result = await drainOutbox(clients.alertStore, local.config.alerts, httpsPost, {
      ...DEFAULT_DRAIN_OPTIONS,
      now: demoNow,
      sleep: (ms) => {
        skewMs += ms;
        return Promise.resolve();
      },
      endpointOverride: sink.url,
      caPem: sink.caPem,
    });
    say(`Alert drain: ${result.sent} sent, ${result.retried} to retry, ${result.failed} failed`);
  };
  const clients = createAzureClients(local.config);
  try {
    // The sample fleet's kubernetes/ folders stand in for the clusters' API servers (CONTRACTS.md §5).
    const deps = { ...sweepDependencies(clients), inCluster: snapshotInClusterReader(snapshot.kubernetes ?? new Map<string, never>()) };
    say(banner('aks-fleet-guard demo: built-in sample fleet'));
    say(`Azure simulator ${local.simulator.url} (HTTPS, real Azure SDK clients) · Azure Tables on in-process Azurite ${local.azurite?.tableEndpoint ?? ''}`);

    say(banner('Sweep 1: every cluster the identity can see'));
    const first = await runSweep(deps, { subscriptions: [], concurrency: local.config.sweep.concurrency, trigger: 'demo' });
    say(formatSweepTable(first, output.width === undefined ? {} : { width: output.width }));
    say(`Azure calls: ${JSON.stringify(local.simulator.requests.countsByRoute())} for ${first.stats.clusters} clusters`);

    say(banner('Inside the clusters: RBAC, network and pod security from the Kubernetes API'));
    for (const line of inClusterLines(first)) say(line);

    say(banner('Alerts: outbox drained to the local webhook sink'));
    await drain();
    say(`Delivered: ${deliveriesSummary(sink, 0)}`);
    const slack = sink.deliveries.find((delivery) => delivery.kind === 'slack');
    const pagerduty = sink.deliveries.find((delivery) => delivery.kind === 'pagerduty');
    if (slack) say(`Slack message (Block Kit), as posted:\n${excerpt(slack.body, 24)}`);
    if (pagerduty)
      say(
        `PagerDuty event (Events API v2), as posted (routing key redacted here):\n${excerpt({ ...(pagerduty.body as object), routing_key: '[redacted]' }, 30)}`,
      );
    const opsgenie = sink.deliveries.find((delivery) => delivery.kind === 'opsgenie');
    if (opsgenie) say(`Opsgenie alert (Alert API v2; the key travels in the Authorization header), as posted:\n${excerpt(opsgenie.body, 16)}`);
    if (clients.alertStore) say(await acknowledgeInPagerDuty(sink, clients.alertStore, clients.findings));
    const afterFirst = sink.deliveries.length;
    const channelMessages = () => sink.slack.channels.get(DEMO_SLACK_CHANNEL)?.messages ?? [];
    say(
      `Slack app: ${channelMessages().length} messages posted to ${DEMO_SLACK_CHANNEL} (chat.postMessage, one per cluster with Silence 4h / Silence 1d / Acknowledge buttons):`,
    );
    for (const line of slackAppLines(sink)) say(line);

    say(banner('Event Grid: AKS announces the end of support for checkout-prod'));
    const notices = clients.notices;
    const findingsStore = clients.findings;
    if (notices && findingsStore) {
      await notices.ensureTable();
      const event = {
        specversion: '1.0',
        id: 'demo-support-ending-1',
        type: 'Microsoft.ContainerService.ClusterSupportEnding',
        source: CHECKOUT,
        subject: 'checkout-prod',
        time: new Date().toISOString(),
        data: { kubernetesVersion: '1.31.3' },
      };
      const deps = {
        notices,
        findings: findingsStore,
        clusters: clients.containerService,
        policy: clients.policyInsights,
        ...(clients.alerts ? { alerts: clients.alerts } : {}),
        inScope: () => Promise.resolve(true),
        processedRowsPerTopicHour: local.config.events.processedRowsPerTopicHour,
        now: () => new Date(),
      };
      const first = await handleEvent(event, 'aks', deps);
      say(`${event.type} ${event.id}: ${first.status} (${first.message})`);
      const again = await handleEvent(event, 'aks', deps);
      say(`the same event delivered again: ${again.status}`);
    }

    say(banner('Meanwhile: web-dev is fixed, legacy-reporting is decommissioned'));
    local.simulator.fleet.updateClusterProperties(DEMO_WEB_DEV, (properties) => {
      properties['disableLocalAccounts'] = true;
      properties['networkProfile'] = { ...(properties['networkProfile'] as object), networkPolicy: 'cilium' };
    });
    local.simulator.fleet.removeCluster(LEGACY);
    say('az aks update -g web -n web-dev --disable-local-accounts --network-policy cilium');
    say('az aks delete -g legacy -n legacy-reporting');

    say(banner('Sweep 2: the store resolves what is gone'));
    const second = await runSweep(deps, { subscriptions: [], concurrency: local.config.sweep.concurrency, trigger: 'demo' });
    say(formatSweepSummary(second));
    const resolved = (await clients.findings?.listFindings({ status: 'resolved' })) ?? [];
    const byCluster = new Map<string, typeof resolved>();
    for (const finding of resolved) byCluster.set(finding.clusterName, [...(byCluster.get(finding.clusterName) ?? []), finding]);
    for (const [cluster, findings] of byCluster) {
      const gone = findings.every((finding) => finding.resolution === 'clusterGone');
      say(
        `  resolved on ${cluster}: ${
          gone
            ? `all ${findings.length} findings (cluster gone)`
            : findings
                .map((finding) => finding.ruleId)
                .sort()
                .join(', ')
        }`,
      );
    }
    await drain();
    say(
      `Delivered after sweep 2: ${deliveriesSummary(sink, afterFirst)} (PagerDuty resolves, a Slack digest of what resolved; nothing repeated before the 4h repeat interval)`,
    );
    for (const message of channelMessages().filter((candidate) => candidate.edits.length > 0)) {
      say(`Slack app: updated in place on resolve (chat.update, no new message): "${message.postedText}" → "${message.text}"`);
    }
    const open = (await clients.findings?.listFindings({ status: 'open' })) ?? [];
    if (local.config.alerts && clients.alertStore && open.length > 0) {
      // Four hours on, the next sweep finds the same findings still open: their repeat interval has passed.
      skewMs += 4 * 3_600_000 + 60_000;
      const slackOnly = { ...local.config.alerts, routes: local.config.alerts.routes.filter((route) => route.receiver === 'slack-app') };
      await new AlertPipeline(slackOnly, clients.alertStore).enqueue(
        open.map((finding) => ({ kind: 'updated' as const, previous: finding, next: finding })),
        demoNow(),
      );
      const before = channelMessages().length;
      await drain();
      const threaded = channelMessages().filter((message) => message.replies.length > 0);
      say(
        `Slack app, 4 hours later: still-firing findings repeat in their message's thread (chat.postMessage with thread_ts), not in the channel: ${threaded.length} threads got a reply, messages in the channel ${before} → ${channelMessages().length}`,
      );
      for (const line of slackAppLines(sink)) say(line);
    }
    if (local.config.alerts && clients.alertStore && open.length > 0) {
      say(banner('Slack: a button press silences an alert group'));
      const candidates = [...open].sort((left, right) => Number(right.clusterName === 'checkout-prod') - Number(left.clusterName === 'checkout-prod'));
      const press = await demoSlackButton(clients.alertStore, local.config.alerts, DEMO_SECRETS.DEMO_SLACK_SIGNING_SECRET, sink, candidates, demoNow);
      for (const line of press.lines) say(line);
      await drain();
      const shown = channelMessages().find((message) => message.ts === press.message?.ts);
      const note = /silenced by [^"\\]*/.exec(JSON.stringify(shown?.blocks ?? []))?.[0];
      if (shown !== undefined && note !== undefined) say(`Slack app: the message updated itself (chat.update, ${shown.edits.length}× in all): "${note}"`);
    }
    say(`Findings store: ${open.length} open, ${resolved.length} resolved · sweep records: ${(await clients.sweeps?.latest(10))?.length ?? 0}`);

    say(banner('Rollout rehearsal: Kubernetes 1.32 by ring; web-dev (ring 0) misbehaves after its upgrade'));
    const rehearsal = await rehearseDemoRollout();
    try {
      const { outcome } = rehearsal;
      say(`Rollout ${outcome.status}: ${outcome.haltReason ?? 'all waves completed'}`);
      for (const wave of outcome.waves) {
        say(
          `  wave ${wave.name}: ${wave.status}  ${wave.clusters.map((cluster) => `${cluster.resourceId.split('/').at(-1) ?? ''}=${cluster.status}`).join(', ')}`,
        );
      }
      say(
        `  ${rehearsal.stats.virtualMinutes} simulated minutes on the local durable host (real durable-functions replay), ${rehearsal.stats.replays} replays, ${rehearsal.stats.activities} activities`,
      );
      await options.atEnd?.({ findings: clients.findings, sweeps: clients.sweeps, rollouts: createAzureClients(rehearsal.local.config).rollouts });
    } finally {
      await rehearsal.local.close();
    }
    say(banner('Next'));
    say('The fleet report (one HTML page: heatmap, compliance over time, findings, versions, rollouts):');
    say('  npx fleetguard report --demo --out report.html');
    return { exitCode: first.status === 'failed' || second.status === 'failed' ? 1 : 0, sweep: first };
  } finally {
    await local.close();
    await sink.close();
  }
}
