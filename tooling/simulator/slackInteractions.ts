/**
 * Slack's side of a button press, for tests and the demo: the `block_actions` payload Slack posts
 * when someone presses a button on a message (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload),
 * form-encoded as `payload=<JSON>` and signed with the app's signing secret as Slack signs
 * (`v0=` HMAC-SHA256 over `v0:{timestamp}:{body}`, https://docs.slack.dev/authentication/verifying-requests-from-slack),
 * posted to the registered function the way the Functions host invokes it. The sink's Slack
 * workspace (slackWebApi.ts) answers usergroups.users.list and records what arrives at a `response_url`.
 */
import { encodeButtonValue, type SlackMessageRef } from '../../lib/alerts/interactionContract.js';
import { slackSignature } from '../../lib/alerts/interactions/slackSignature.js';
import { Secret } from '../../lib/secret.js';

export interface ButtonPressInput {
  ref: SlackMessageRef;
  /** One of SLACK_ACTION_IDS, or any other id (a foreign button). */
  actionId: string;
  user: { id: string; name: string };
  teamId?: string;
  channel: string;
  messageTs: string;
  /** Where Slack would accept the ephemeral reply (`https://hooks.slack.com/actions/...`). */
  responseUrl?: string;
  /** The button's value; by default the reference encoded as the app encodes it. */
  value?: string;
  actionTs?: string;
}

/** The payload Slack posts for a press of one button on a message. */
export function buttonPressPayload(input: ButtonPressInput): Record<string, unknown> {
  const teamId = input.teamId ?? 'T0FLEETGRD';
  return {
    type: 'block_actions',
    user: { id: input.user.id, username: input.user.name, name: input.user.name, team_id: teamId },
    api_app_id: 'A0FLEETGRD',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: input.messageTs, channel_id: input.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.1.abc`,
    team: { id: teamId, domain: 'contoso' },
    channel: { id: input.channel, name: 'fleet-alerts' },
    message: { type: 'message', ts: input.messageTs, text: 'fleet alert', blocks: [] },
    response_url: input.responseUrl ?? `https://hooks.slack.com/actions/${teamId}/1234567890/aResponseUrlToken`,
    actions: [
      {
        type: 'button',
        action_id: input.actionId,
        block_id: 'fleetguard_actions',
        text: { type: 'plain_text', text: input.actionId },
        value: input.value ?? encodeButtonValue(input.ref),
        action_ts: input.actionTs ?? String(Date.now() / 1000),
      },
    ],
  };
}

export interface SignedInteraction {
  headers: Record<string, string>;
  body: string;
}

/** The request Slack sends: form-encoded payload, `X-Slack-Request-Timestamp` and `X-Slack-Signature`. */
export function signSlackInteraction(payload: unknown, signingSecret: string, now: Date = new Date()): SignedInteraction {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature(new Secret(signingSecret), timestamp, body),
    },
  };
}

/** The part of the functions host a post needs (tooling/local/functionsHost.ts). */
export interface HttpInvoker {
  invokeHttp(name: string, call: { method: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: unknown }>;
}

/** Posts a signed interaction to the registered `slackInteractions` function, as Slack would reach it. */
export function postSlackInteraction(host: HttpInvoker, request: SignedInteraction): Promise<{ status: number; body: unknown }> {
  return host.invokeHttp('slackInteractions', { method: 'POST', path: '/api/slack/interactions', headers: request.headers, body: request.body });
}
