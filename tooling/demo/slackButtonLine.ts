/**
 * The demo's Slack button (issue 18): a press of *Silence 4h* on a message the Slack app receiver
 * really posted to the sink's workspace, built and signed as Slack does
 * (tooling/simulator/slackInteractions.ts) and handled by the interaction handler with the demo's
 * alert store: it verifies the signature, checks the allow-list, creates the silence attributed to
 * the Slack user and queues the message's update, which the next drain sends (chat.update).
 */
import type { AlertingConfig } from '../../lib/alerts/alertingConfig.js';
import type { AlertStore } from '../../lib/alerts/alertStore.js';
import { type PostedSlackMessage, SLACK_ACTION_IDS } from '../../lib/alerts/interactionContract.js';
import { slackAppsOf } from '../../lib/alerts/interactions/slackAppReceivers.js';
import { handleSlackInteraction, type PressOutcome, type SlackInteractionDeps } from '../../lib/alerts/interactions/slackInteraction.js';
import { ephemeralReply, slackGroupMembers } from '../../lib/alerts/interactions/slackWebApi.js';
import { httpsPost } from '../../lib/alerts/transport.js';
import type { StoredFinding } from '../../lib/findings/lifecycle.js';
import { buttonPressPayload, signSlackInteraction } from '../simulator/slackInteractions.js';
import type { RunningSink } from '../simulator/webhookSink.js';

export interface DemoPress {
  lines: string[];
  /** The message pressed on, when there was one. */
  message?: PostedSlackMessage;
}

/** Presses Silence 4h, as `U0DEMOALICE`, on the Slack app message showing the first of `findings` that one shows. */
export async function demoSlackButton(
  alertStore: AlertStore,
  alerts: AlertingConfig,
  signingSecret: string,
  sink: RunningSink,
  findings: readonly StoredFinding[],
  now: () => Date,
): Promise<DemoPress> {
  const app = slackAppsOf(alerts.receivers.values()).find((candidate) => candidate.signingSecret !== undefined);
  const shown = await alertStore.slackMessages.showing(findings.map((finding) => finding.fingerprint));
  const finding = findings.find((candidate) => shown.some((message) => message.alerts.some((alert) => alert.fingerprint === candidate.fingerprint)));
  const message = shown.find((candidate) => candidate.receiver === app?.name && candidate.alerts.some((alert) => alert.fingerprint === finding?.fingerprint));
  if (app === undefined || message === undefined || finding === undefined) return { lines: ['no Slack app message shows an open finding: no button to press'] };
  const calls = { post: httpsPost, endpointOverride: sink.url, caPem: sink.caPem };
  const press = buttonPressPayload({
    ref: { receiver: message.receiver, messageKey: message.messageKey },
    actionId: SLACK_ACTION_IDS.silence4h,
    user: { id: 'U0DEMOALICE', name: 'alice' },
    channel: message.channel,
    messageTs: message.ts,
  });
  const signed = signSlackInteraction(press, signingSecret, now());
  const request = { timestamp: signed.headers['x-slack-request-timestamp'] ?? null, signature: signed.headers['x-slack-signature'] ?? null, body: signed.body };
  const deps: SlackInteractionDeps = {
    apps: [app],
    replays: alertStore.slackReplays,
    alertStore,
    messages: alertStore.slackMessages,
    acknowledgements: alertStore.acknowledgements,
    members: slackGroupMembers(calls),
    reply: ephemeralReply(calls),
    silenceLimits: { maxActive: 500 },
    now,
  };
  const answer = await handleSlackInteraction(request, deps);
  const outcome = answer.body as PressOutcome | { error: string };
  if (!('outcome' in outcome) || outcome.outcome !== 'silenced') return { lines: [`Slack button press not applied: ${JSON.stringify(outcome)}`] };
  const replay = await handleSlackInteraction(request, deps);
  return {
    message,
    lines: [
      `Slack button "Silence 4h" pressed by Slack user U0DEMOALICE on the message for ${finding.clusterName} (signed v0 request, verified, allow-listed): ` +
        `silence ${outcome.silenceId.slice(0, 8)} created by ${outcome.createdBy} (Slack user ${outcome.slackUserId}) until ${outcome.endsAt}`,
      `  answered at once; the message's update is queued for the outbox. The same request replayed: ${replay.status} (${(replay.body as { error?: string }).error ?? ''})`,
    ],
  };
}
