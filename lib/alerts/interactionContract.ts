/**
 * What the Slack app receiver, Slack's interactive buttons and PagerDuty's webhooks agree on: the
 * button ids and values on a Slack message, the stored record of a posted message, the
 * acknowledgement of a finding, and the two ports each side implements. The receiver posts and
 * updates messages (vendors/slackApp/), the interaction handlers (interactions/) act on a button
 * press or a PagerDuty event, and both meet here, so neither reaches into the other's internals.
 * It sits in lib/alerts/ itself: vendors/, store/ and interactions/ all import it, and a module in
 * one of them would make a folder cycle (npm run depcheck).
 */
import { z } from 'zod';

import type { Secret } from '../secret.js';

/** Slack `action_id`s of the buttons on a Slack app message (≤ 255 characters each). */
export const SLACK_ACTION_IDS = {
  silence4h: 'fleetguard_silence_4h',
  silence1d: 'fleetguard_silence_1d',
  acknowledge: 'fleetguard_acknowledge',
} as const;

export type SlackActionId = (typeof SLACK_ACTION_IDS)[keyof typeof SLACK_ACTION_IDS];

/** How long each silence button silences for. */
export const SLACK_SILENCE_BUTTON_MS: Readonly<Record<string, number>> = {
  [SLACK_ACTION_IDS.silence4h]: 4 * 3_600_000,
  [SLACK_ACTION_IDS.silence1d]: 24 * 3_600_000,
};

/** Which stored message a button sits on. Identifies only: the handler re-reads the record and trusts nothing else in it. */
export interface SlackMessageRef {
  /** The receiver's name in the routing document. */
  receiver: string;
  /** The message record's key (opaque; the store chooses it). */
  messageKey: string;
}

const buttonValueSchema = z.object({ v: z.literal(1), receiver: z.string().min(1).max(200), messageKey: z.string().min(1).max(500) }).strict();

/** A button's `value` (Slack allows 2,000 characters): the reference as compact JSON. */
export function encodeButtonValue(ref: SlackMessageRef): string {
  return JSON.stringify({ v: 1, receiver: ref.receiver, messageKey: ref.messageKey });
}

/** The reference in a button's `value`, or undefined when it is not one of ours. */
export function decodeButtonValue(value: string): SlackMessageRef | undefined {
  try {
    const parsed = buttonValueSchema.safeParse(JSON.parse(value));
    return parsed.success ? { receiver: parsed.data.receiver, messageKey: parsed.data.messageKey } : undefined;
  } catch {
    return undefined;
  }
}

/** One finding as a posted Slack message shows it (enough to re-render it and to derive silence matchers). */
export interface PostedAlert {
  fingerprint: string;
  ruleId: string;
  resourceId: string;
  clusterName: string;
  subscriptionId: string;
  severity: string;
  title: string;
  status: 'firing' | 'resolved';
}

/** The record of one Slack message posted for one alert group (route + group key) to one receiver. */
export interface PostedSlackMessage extends SlackMessageRef {
  route: string;
  groupKey: string;
  /** The route's `groupBy` fields, so a button's silence matches the group the message shows. */
  groupBy: readonly string[];
  /** Slack's channel id and message timestamp (`ts`), the message's identity for chat.update and threads. */
  channel: string;
  ts: string;
  postedAt: string;
  alerts: PostedAlert[];
}

/** Who may press the buttons of a Slack app receiver: Slack user ids, or Slack user group ids (resolved with usergroups.users.list). */
export interface SlackActorAllowance {
  slackUserId?: string;
  slackGroupId?: string;
  /** The principal a silence or acknowledgement is attributed to (e.g. alice@contoso.com); the Slack user's id otherwise. */
  principal?: string;
}

/**
 * The parts of a `slackApp` receiver the interaction handler needs. Its routing-document entry:
 *   - name: platform-slack
 *     type: slackApp
 *     botTokenSetting: SLACK_BOT_TOKEN          # xoxb- token, app setting or Key Vault reference
 *     channel: C0123456789                      # channel id
 *     signingSecretSetting: SLACK_SIGNING_SECRET # optional: without it the message has no buttons
 *     allowedActors:                            # who may press them; everyone else is refused
 *       - { slackUserId: U0123ABC, principal: alice@contoso.com }
 *       - { slackGroupId: S0456DEF }
 */
export interface SlackAppInteractivity {
  name: string;
  type: 'slackApp';
  botToken: Secret;
  channel: string;
  signingSecret: Secret | undefined;
  allowedActors: readonly SlackActorAllowance[];
}

/** A person's acknowledgement of a finding (from a Slack button or a PagerDuty incident), the latest per fingerprint. */
export interface Acknowledgement {
  fingerprint: string;
  state: 'acknowledged' | 'unacknowledged' | 'resolved';
  /** Display name (PagerDuty agent summary, Slack principal). */
  by: string;
  /** PagerDuty user id or Slack user id. */
  byId: string;
  source: 'slack' | 'pagerduty';
  /** When it happened at the source (ISO 8601). */
  at: string;
  /** The PagerDuty incident's html_url, when from PagerDuty. */
  incidentUrl?: string;
}

/** Implemented by the acknowledgement store (store/acknowledgements.ts). */
export interface AcknowledgementPort {
  /** Records the newest state per fingerprint; an older event than the stored one is ignored. */
  record(acknowledgements: readonly Acknowledgement[]): Promise<void>;
  /** The current acknowledgement per fingerprint, for these fingerprints. */
  current(fingerprints: readonly string[]): Promise<Map<string, Acknowledgement>>;
}

/** Implemented by the Slack app receiver's message store (store/slackMessages.ts). */
export interface SlackMessagePort {
  /** The posted message a button sits on, or undefined (never posted, or forgotten). */
  find(ref: SlackMessageRef): Promise<PostedSlackMessage | undefined>;
  /**
   * Queues an update (chat.update) of these messages, or of every message showing one of these
   * fingerprints, so they show their current silences and acknowledgements. The outbox drain sends
   * it; callers return at once.
   */
  requestRefresh(target: { refs: readonly SlackMessageRef[] } | { fingerprints: readonly string[] }, now: Date): Promise<void>;
}
