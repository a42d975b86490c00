/**
 * A press of a button on a Slack app message (issue 18), from Slack's interactivity Request URL:
 * verify Slack's signature (slackSignature.ts) and refuse a replay (store/slackReplays.ts), parse
 * the press (slackPayload.ts), check the pressing user against the receiver's allow-list
 * (slackActors.ts), then act: a silence of the message's group (Silence 4h / 1d, through the same
 * limits as the silences API) or an acknowledgement of its firing alerts; and queue the message's
 * update (SlackMessagePort.requestRefresh, sent by the outbox drain). Slack wants an answer within
 * 3 s, so nothing here waits on Slack except a refused user's ephemeral reply, which is bounded.
 */
import { SLACK_INTERACTION_BODY_LIMIT_BYTES } from '../../apiLimits.js';
import { readRequestBody, type RequestBody } from '../../boundedBody.js';
import { FleetGuardError } from '../../errors.js';
import { unavailable } from '../../publicError.js';
import type { Secret } from '../../secret.js';
import type { Silence } from '../alert.js';
import type { AlertStore } from '../alertStore.js';
import {
  type AcknowledgementPort,
  decodeButtonValue,
  type PostedSlackMessage,
  SLACK_ACTION_IDS,
  SLACK_SILENCE_BUTTON_MS,
  type SlackAppInteractivity,
  type SlackMessagePort,
  type SlackMessageRef,
} from '../interactionContract.js';
import { type ApiResponse, createSilenceWithinLimits, isActive, type SilenceLimits } from '../silencesApi.js';
import { SilenceExistsError } from '../store/silences.js';
import type { SlackReplayStore } from '../store/slackReplays.js';
import { buttonSilenceId, groupMatchers } from './messageSilence.js';
import { authorizeSlackActor, type SlackGroupMembers } from './slackActors.js';
import { type ButtonPress, isSlackActionId, parseButtonPress } from './slackPayload.js';
import { SLACK_SIGNATURE_WINDOW_MS, verifySlackSignature } from './slackSignature.js';
import type { EphemeralReply } from './slackWebApi.js';

export interface SlackInteractionRequest {
  /** `X-Slack-Request-Timestamp` and `X-Slack-Signature`, as received. */
  timestamp: string | null;
  signature: string | null;
  body: RequestBody;
}

export interface SlackInteractionDeps {
  /** The routing document's slackApp receivers (contract.ts); those without a signing secret have no buttons. */
  apps: readonly SlackAppInteractivity[];
  replays: SlackReplayStore;
  alertStore: AlertStore;
  messages: SlackMessagePort;
  acknowledgements: AcknowledgementPort;
  members: SlackGroupMembers;
  reply: EphemeralReply;
  silenceLimits: SilenceLimits;
  now: () => Date;
}

/** What a press did, for the answer's body (Slack ignores it) and the log. Never holds a secret. */
export type PressOutcome =
  | { outcome: 'silenced'; silenceId: string; reused: boolean; createdBy: string; slackUserId: string; endsAt: string }
  | { outcome: 'acknowledged'; fingerprints: string[]; by: string; slackUserId: string }
  | { outcome: 'refused'; reason: string };

/** Silences one button made on one message, looked for before a new one: far more than a message lives through. */
const MAX_BUTTON_GENERATIONS = 50;

const SILENCE_LABEL: Record<string, string> = { [SLACK_ACTION_IDS.silence4h]: '4h', [SLACK_ACTION_IDS.silence1d]: '1d' };

export async function handleSlackInteraction(request: SlackInteractionRequest, deps: SlackInteractionDeps): Promise<ApiResponse> {
  const candidates = deps.apps.flatMap((app) => (app.signingSecret === undefined ? [] : [{ app, signingSecret: app.signingSecret }]));
  if (candidates.length === 0) {
    return { status: 401, body: { error: 'no slackApp receiver with a signingSecretSetting is configured, so no Slack request can be verified' } };
  }
  // The signature covers the body, so it is read first, within its limit.
  const read = await readRequestBody(request.body, SLACK_INTERACTION_BODY_LIMIT_BYTES);
  if ('tooLarge' in read) return { status: 413, body: { error: read.tooLarge } };
  const now = deps.now();
  const verdict = verifySlackSignature({ timestamp: request.timestamp, signature: request.signature, rawBody: read.text }, candidates, now);
  if ('refused' in verdict) return { status: 401, body: { error: verdict.refused } };
  try {
    await deps.alertStore.ensureTable();
    if (!(await deps.replays.claim(verdict.signature, verdict.timestampSeconds, SLACK_SIGNATURE_WINDOW_MS, now))) {
      return { status: 401, body: { error: 'X-Slack-Signature: this request was already received (a replay); Slack signs every request anew' } };
    }
  } catch (error) {
    return unavailable('the Slack interaction store is unavailable', error);
  }
  const parsed = parseButtonPress(read.text);
  if ('error' in parsed) return { status: 400, body: { error: parsed.error } };
  const press = parsed.press;
  if (!isSlackActionId(press.actionId))
    return { status: 400, body: { error: `actions[0].action_id: ${press.actionId.slice(0, 80)} is not a fleetguard button` } };
  const ref = press.value === undefined ? undefined : decodeButtonValue(press.value);
  // The button must name a receiver of the Slack app whose secret signed the request: another app's
  // signature says nothing about this receiver's messages.
  const signedBy = verdict.verified.signingSecret;
  const app =
    ref === undefined ? undefined : candidates.find((candidate) => candidate.app.name === ref.receiver && sameSecret(candidate.signingSecret, signedBy))?.app;
  if (ref === undefined || app === undefined) return { status: 400, body: { error: 'actions[0].value: not a button of a message this Slack app posted' } };
  try {
    const outcome = await act(press, ref, app, deps, now);
    return { status: 200, body: outcome };
  } catch (error) {
    if (error instanceof FleetGuardError && error.reason === 'badInput') return { status: 400, body: { error: error.message } };
    return unavailable('the alert store is unavailable', error);
  }
}

function sameSecret(left: Secret, right: Secret): boolean {
  return left === right || left.reveal() === right.reveal();
}

async function act(press: ButtonPress, ref: SlackMessageRef, app: SlackAppInteractivity, deps: SlackInteractionDeps, now: Date): Promise<PressOutcome> {
  const refuse = async (reason: string): Promise<PressOutcome> => {
    // Bounded (slackWebApi.ts); a failed reply leaves the user without the note, never the handler late.
    await deps.reply(ref.receiver, press.responseUrl, `:no_entry: ${reason}. Nothing was changed.`).catch(() => undefined);
    return { outcome: 'refused', reason };
  };
  const actor = await authorizeSlackActor(app, press.userId, deps.members);
  if ('refused' in actor) return refuse(actor.refused);
  const message = await deps.messages.find(ref);
  if (message === undefined) return refuse('this message is no longer tracked by fleetguard');
  if (press.channelId !== undefined && press.channelId !== message.channel) return refuse('this button was pressed outside the message it belongs to');
  const outcome =
    press.actionId === SLACK_ACTION_IDS.acknowledge
      ? await acknowledge(message, actor.principal, press, deps, now)
      : await silence(message, ref, press, actor.principal, deps, now);
  if (outcome.outcome === 'refused') return refuse(outcome.reason);
  // Queued, not sent: the outbox drain updates the message to show the silence or acknowledgement.
  await deps.messages.requestRefresh({ refs: [ref] }, now);
  return outcome;
}

async function acknowledge(message: PostedSlackMessage, principal: string, press: ButtonPress, deps: SlackInteractionDeps, now: Date): Promise<PressOutcome> {
  const fingerprints = message.alerts.filter((alert) => alert.status === 'firing').map((alert) => alert.fingerprint);
  if (fingerprints.length === 0) return { outcome: 'refused', reason: 'every alert on this message is resolved already' };
  const at = (press.pressedAt ?? now).toISOString();
  await deps.acknowledgements.record(
    fingerprints.map((fingerprint) => ({ fingerprint, state: 'acknowledged', by: principal, byId: press.userId, source: 'slack', at })),
  );
  return { outcome: 'acknowledged', fingerprints, by: principal, slackUserId: press.userId };
}

async function silence(
  message: PostedSlackMessage,
  ref: SlackMessageRef,
  press: ButtonPress,
  principal: string,
  deps: SlackInteractionDeps,
  now: Date,
): Promise<PressOutcome> {
  const durationMs = SLACK_SILENCE_BUTTON_MS[press.actionId];
  if (durationMs === undefined) return { outcome: 'refused', reason: `${press.actionId} is not a silence button` };
  const derived = groupMatchers(message);
  if ('error' in derived) return { outcome: 'refused', reason: `no silence was created: ${derived.error}` };
  const silenced = (created: Silence, reused: boolean): PressOutcome => ({
    outcome: 'silenced',
    silenceId: created.id,
    reused,
    createdBy: created.createdBy,
    slackUserId: created.createdBySlackUserId ?? press.userId,
    endsAt: created.endsAt,
  });
  const store = deps.alertStore.silences;
  // The first free generation of this button's silence id, unless one is active: then this press is a repeat of it.
  for (let generation = 0; generation < MAX_BUTTON_GENERATIONS; generation += 1) {
    const id = buttonSilenceId(ref, press.actionId, generation);
    const existing = await store.getSilence(id);
    if (existing !== undefined) {
      if (isActive(existing, now) && existing.expiredBy === undefined) return silenced(existing, true);
      continue;
    }
    try {
      const answer = await createSilenceWithinLimits(
        deps.alertStore,
        {
          id,
          matchers: derived.matchers,
          durationMs,
          createdBy: { name: principal, slackUserId: press.userId },
          comment: `Silenced for ${SILENCE_LABEL[press.actionId] ?? ''} from Slack: ${principal} (Slack user ${press.userId}) pressed the button on the message of route ${message.route}`,
        },
        now,
        deps.silenceLimits,
      );
      if (answer.status !== 201) return { outcome: 'refused', reason: `no silence was created: ${(answer.body as { error: string }).error}` };
      return silenced(answer.body as Silence, false);
    } catch (error) {
      // Another press of the same button won the race: its silence is this press's silence.
      if (!(error instanceof SilenceExistsError)) throw error;
      const winner = await store.getSilence(id);
      if (winner !== undefined) return silenced(winner, true);
    }
  }
  return { outcome: 'refused', reason: 'this button has made too many silences on this message; use `fleetguard silence create`' };
}
