/**
 * The composition of Slack's interactivity Request URL (functions/slackInteractions.ts): the
 * routing document's slackApp receivers, the alert table (silences, replayed signatures), the two
 * ports of issue 18's contract and Slack's bounded calls, handed to
 * lib/alerts/interactions/slackInteraction.ts.
 */
import type { AcknowledgementPort, SlackMessagePort } from '../alerts/interactions/contract.js';
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

/** The message store and acknowledgement store, when this build has them (the slackapp and pdhooks parts of issue 18). */
export interface InteractionPorts {
  messages: SlackMessagePort;
  acknowledgements: AcknowledgementPort;
}

/** The ports on the worker's clients, by the names the merge gives them (`slackMessages`, `acknowledgements`). */
function portsOf(clients: object): InteractionPorts | undefined {
  const candidate = clients as { slackMessages?: SlackMessagePort; acknowledgements?: AcknowledgementPort };
  return candidate.slackMessages === undefined || candidate.acknowledgements === undefined
    ? undefined
    : { messages: candidate.slackMessages, acknowledgements: candidate.acknowledgements };
}

const missing = (): Promise<never> => Promise.reject(new Error('the Slack message store or the acknowledgement store is not part of this build'));
/** Until both are wired, a verified press is answered 503 (after the signature and replay checks, which need neither). */
const UNWIRED: InteractionPorts = { messages: { find: missing, requestRefresh: missing }, acknowledgements: { record: missing, current: missing } };

/** Group members are cached per worker (slackWebApi.ts), so the lookup outlives one request. */
let members: { key: string; lookup: SlackGroupMembers } | undefined;

export async function serveSlackInteraction(request: SlackInteractionHttpRequest, ports?: InteractionPorts): Promise<ApiResponse> {
  const runtime = await storedRuntimeForHttp('the alert store is unavailable');
  if ('status' in runtime) return runtime;
  const { config, clients } = runtime;
  const apps = slackAppsOf(config.alerts?.receivers.values() ?? []);
  const wired = ports ?? portsOf(clients);
  if (clients.alertStore === undefined) return { status: 503, body: { error: 'storage is not configured' } };
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
      messages: (wired ?? UNWIRED).messages,
      acknowledgements: (wired ?? UNWIRED).acknowledgements,
      members: members.lookup,
      reply: ephemeralReply(calls),
      silenceLimits: config.silences,
      now: () => new Date(),
    },
  );
}
