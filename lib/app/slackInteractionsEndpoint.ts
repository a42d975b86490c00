/**
 * The composition of Slack's interactivity Request URL (functions/slackInteractions.ts): the
 * routing document's slackApp receivers, the alert table (silences, replayed signatures), the two
 * ports of issue 18's contract and Slack's bounded calls, handed to
 * lib/alerts/interactions/slackInteraction.ts.
 */
import type { AcknowledgementPort, SlackMessagePort } from '../alerts/interactionContract.js';
import type { SlackGroupMembers } from '../alerts/interactions/slackActors.js';
import { slackAppsOf } from '../alerts/interactions/slackAppReceivers.js';
import { handleSlackInteraction } from '../alerts/interactions/slackInteraction.js';
import { ephemeralReply, type SlackCallOptions, slackGroupMembers } from '../alerts/interactions/slackWebApi.js';
import type { ApiResponse } from '../alerts/silencesApi.js';
import { httpsPost } from '../alerts/transport.js';
import type { BodyReader } from '../boundedBody.js';
import { storedRuntimeForHttp } from './httpApiGuard.js';

export interface SlackInteractionHttpRequest {
  headers: { get(name: string): string | null };
  body: BodyReader;
}

/** The two ports of the contract: tests may pass their own; the app uses the alert store's. */
export interface InteractionPorts {
  messages: SlackMessagePort;
  acknowledgements: AcknowledgementPort;
}

/** Group members are cached per worker (slackWebApi.ts), so the lookup outlives one request. */
let members: { key: string; lookup: SlackGroupMembers } | undefined;

export async function serveSlackInteraction(request: SlackInteractionHttpRequest, ports?: InteractionPorts): Promise<ApiResponse> {
  const runtime = await storedRuntimeForHttp('the alert store is unavailable');
  if ('status' in runtime) return runtime;
  const { config, clients } = runtime;
  const apps = slackAppsOf(config.alerts?.receivers.values() ?? []);
  if (clients.alertStore === undefined) return { status: 503, body: { error: 'storage is not configured' } };
  const wired = ports ?? { messages: clients.alertStore.slackMessages, acknowledgements: clients.alertStore.acknowledgements };
  const calls: SlackCallOptions = {
    post: httpsPost,
    ...(config.alertDelivery.endpointOverride === undefined ? {} : { endpointOverride: config.alertDelivery.endpointOverride }),
    ...(config.azure.kind === 'simulator' ? { caPem: config.azure.caPem } : {}),
  };
  const key = `${calls.endpointOverride ?? ''}`;
  if (members?.key !== key) members = { key, lookup: slackGroupMembers(calls) };
  return handleSlackInteraction(
    { timestamp: request.headers.get('x-slack-request-timestamp'), signature: request.headers.get('x-slack-signature'), body: request.body },
    {
      apps,
      replays: clients.alertStore.slackReplays,
      alertStore: clients.alertStore,
      messages: wired.messages,
      acknowledgements: wired.acknowledgements,
      members: members.lookup,
      reply: ephemeralReply(calls),
      silenceLimits: config.silences,
      now: () => new Date(),
    },
  );
}
