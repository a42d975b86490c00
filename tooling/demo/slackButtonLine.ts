/**
 * The demo's Slack button (issue 18): a signed press of *Silence 4h*, built and signed as Slack does
 * (tooling/simulator/slackInteractions.ts), handled by the interaction handler with the demo's alert
 * store: it verifies the signature, checks the allow-list, creates the silence attributed to the
 * Slack user and queues the message's update. The message record stands in for the Slack app
 * receiver's message store (the slackapp part of issue 18), which posts and updates the message.
 */
import type { AlertStore } from '../../lib/alerts/alertStore.js';
import { type PostedSlackMessage, SLACK_ACTION_IDS, type SlackAppInteractivity, type SlackMessageRef } from '../../lib/alerts/interactions/contract.js';
import { handleSlackInteraction, type PressOutcome, type SlackInteractionDeps } from '../../lib/alerts/interactions/slackInteraction.js';
import { ephemeralReply, slackGroupMembers } from '../../lib/alerts/interactions/slackWebApi.js';
import { httpsPost } from '../../lib/alerts/transport.js';
import type { StoredFinding } from '../../lib/findings/lifecycle.js';
import { Secret } from '../../lib/secret.js';
import { buttonPressPayload, signSlackInteraction } from '../simulator/slackInteractions.js';
import type { RunningSink } from '../simulator/webhookSink.js';

/** Demo-only fake signing secret: the press is signed and verified locally. */
const DEMO_SIGNING_SECRET = 'demo0000slack0000signing0000secret';

/** Presses Silence 4h on a message showing `finding`'s cluster group; answers the demo's lines. */
export async function demoSlackButton(alertStore: AlertStore, sink: RunningSink, finding: StoredFinding): Promise<string[]> {
  const app: SlackAppInteractivity = {
    name: 'slack-app-platform',
    type: 'slackApp',
    botToken: new Secret('xoxb-demo-not-a-real-token'),
    channel: 'C0DEMOALRT',
    signingSecret: new Secret(DEMO_SIGNING_SECRET),
    allowedActors: [{ slackUserId: 'U0DEMOALICE', principal: 'alice@contoso.com' }],
  };
  const ref: SlackMessageRef = { receiver: app.name, messageKey: 'demo-message' };
  const message: PostedSlackMessage = {
    ...ref,
    route: 'slack-app',
    groupKey: finding.resourceId.toLowerCase(),
    groupBy: ['cluster'],
    channel: app.channel,
    ts: '1764500000.000100',
    postedAt: new Date().toISOString(),
    alerts: [{ ...finding, status: 'firing' }],
  };
  const refreshes: SlackMessageRef[] = [];
  const calls = { post: httpsPost, endpointOverride: sink.url, caPem: sink.caPem };
  const press = buttonPressPayload({
    ref,
    actionId: SLACK_ACTION_IDS.silence4h,
    user: { id: 'U0DEMOALICE', name: 'alice' },
    channel: app.channel,
    messageTs: message.ts,
  });
  const signed = signSlackInteraction(press, DEMO_SIGNING_SECRET);
  const request = { timestamp: signed.headers['x-slack-request-timestamp'] ?? null, signature: signed.headers['x-slack-signature'] ?? null, body: signed.body };
  const deps: SlackInteractionDeps = {
    apps: [app],
    replays: alertStore.slackReplays,
    alertStore,
    messages: {
      find: (wanted) => Promise.resolve(wanted.messageKey === ref.messageKey ? message : undefined),
      requestRefresh: (target) => {
        if ('refs' in target) refreshes.push(...target.refs);
        return Promise.resolve();
      },
    },
    acknowledgements: { record: () => Promise.resolve(), current: () => Promise.resolve(new Map()) },
    members: slackGroupMembers(calls),
    reply: ephemeralReply(calls),
    silenceLimits: { maxActive: 500 },
    now: () => new Date(),
  };
  const answer = await handleSlackInteraction(request, deps);
  const outcome = answer.body as PressOutcome | { error: string };
  if (!('outcome' in outcome) || outcome.outcome !== 'silenced') return [`Slack button press not applied: ${JSON.stringify(outcome)}`];
  const replay = await handleSlackInteraction(request, deps);
  return [
    `Slack button "Silence 4h" pressed by Slack user U0DEMOALICE on the message for ${finding.clusterName} (signed v0 request, verified, allow-listed): ` +
      `silence ${outcome.silenceId.slice(0, 8)} created by ${outcome.createdBy} (Slack user ${outcome.slackUserId}) until ${outcome.endsAt}`,
    `  the message's update is queued for the outbox (${refreshes.length} refresh requested); the same request replayed: ${replay.status} (${(replay.body as { error?: string }).error ?? ''})`,
  ];
}
