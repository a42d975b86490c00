/**
 * The interaction payload Slack posts when someone presses a button (a `block_actions` payload:
 * https://docs.slack.dev/reference/interaction-payloads/block_actions-payload). It arrives form-encoded
 * as one `payload` field holding JSON ("Handling user interaction",
 * https://docs.slack.dev/interactivity/handling-user-interaction). Only what the handler uses is
 * read; Slack adds fields over time, so unknown ones are allowed. Parsed only after the signature is verified.
 */
import { z } from 'zod';

import { describeZodIssues } from '../../errors.js';
import { SLACK_ACTION_IDS, type SlackActionId } from '../interactionContract.js';

const text = (max: number) => z.string().min(1).max(max);

const payloadSchema = z.looseObject({
  type: z.literal('block_actions'),
  user: z.looseObject({ id: text(64), username: z.string().max(200).optional(), name: z.string().max(200).optional() }),
  team: z.looseObject({ id: text(64) }).nullish(),
  channel: z.looseObject({ id: text(64) }).nullish(),
  container: z.looseObject({ message_ts: z.string().max(64).optional(), channel_id: z.string().max(64).optional() }).nullish(),
  message: z.looseObject({ ts: z.string().max(64).optional() }).nullish(),
  response_url: z.url({ protocol: /^https$/ }).max(2000),
  actions: z.array(z.looseObject({ action_id: text(255), value: z.string().max(2000).optional(), action_ts: z.string().max(64).optional() })).min(1),
});

/** A button press, as the handler acts on it. */
export interface ButtonPress {
  userId: string;
  /** Slack's `user.username` (or `user.name`): a display name, never an identity. */
  userName: string | undefined;
  teamId: string | undefined;
  channelId: string | undefined;
  messageTs: string | undefined;
  actionId: string;
  value: string | undefined;
  /** When the button was pressed at Slack (`action_ts`), as a date when it reads as one. */
  pressedAt: Date | undefined;
  responseUrl: string;
}

/** The known button ids. */
export function isSlackActionId(id: string): id is SlackActionId {
  return (Object.values(SLACK_ACTION_IDS) as string[]).includes(id);
}

/** The button press in a form-encoded interaction body, or why it is not one. */
export function parseButtonPress(rawBody: string): { press: ButtonPress } | { error: string } {
  const field = new URLSearchParams(rawBody).get('payload');
  if (field === null) return { error: 'body: no payload field (Slack posts interactions form-encoded, payload=<JSON>)' };
  let data: unknown;
  try {
    data = JSON.parse(field) as unknown;
  } catch {
    return { error: 'payload: is not JSON' };
  }
  if (typeof data === 'object' && data !== null && 'type' in data && data.type !== 'block_actions') {
    return { error: `payload.type: ${JSON.stringify(String(data.type)).slice(0, 60)} is not handled; only block_actions (button presses) are` };
  }
  const parsed = payloadSchema.safeParse(data);
  if (!parsed.success) return { error: describeZodIssues(parsed.error, { whole: 'payload', prefix: 'payload' }).slice(0, 3).join('; ') };
  const payload = parsed.data;
  const action = payload.actions[0];
  if (action === undefined) return { error: 'payload.actions: is empty' };
  const pressedSeconds = Number(action.action_ts);
  return {
    press: {
      userId: payload.user.id,
      userName: payload.user.username ?? payload.user.name,
      teamId: payload.team?.id,
      channelId: payload.channel?.id ?? payload.container?.channel_id,
      messageTs: payload.container?.message_ts ?? payload.message?.ts,
      actionId: action.action_id,
      value: action.value,
      pressedAt: Number.isFinite(pressedSeconds) && pressedSeconds > 0 ? new Date(pressedSeconds * 1000) : undefined,
      responseUrl: payload.response_url,
    },
  };
}
