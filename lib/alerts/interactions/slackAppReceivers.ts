/**
 * The slackApp receivers the interaction handler serves, taken from the parsed routing document.
 * The receiver itself (vendors/slackApp/, the slackapp branch of issue 18) parses the entry; until it
 * is merged, `slackAppEntrySchema` is the minimal parse of the fields this side needs (contract.ts
 * SlackAppInteractivity), for the receiver's schema to reuse.
 */
import { z } from 'zod';

import { Secret } from '../../secret.js';
import type { SlackActorAllowance, SlackAppInteractivity } from '../interactionContract.js';

const slackId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}[A-Z0-9]{2,30}$`), `must be a Slack id (${prefix}…)`);

/** One `allowedActors` entry: a Slack user id (U…/W…) or a user group id (S…), and the principal to attribute to. */
export const slackActorSchema = z
  .object({ slackUserId: slackId('[UW]').optional(), slackGroupId: slackId('S').optional(), principal: z.string().min(1).max(200).optional() })
  .strict()
  .refine((actor) => (actor.slackUserId === undefined) !== (actor.slackGroupId === undefined), 'give exactly one of slackUserId and slackGroupId');

/** The interactivity fields of a `type: slackApp` receiver entry (contract.ts documents the entry). */
export const slackAppEntrySchema = z.looseObject({
  name: z.string().min(1),
  type: z.literal('slackApp'),
  botTokenSetting: z.string().min(1),
  channel: z.string().min(1),
  signingSecretSetting: z.string().min(1).optional(),
  allowedActors: z.array(slackActorSchema).max(500).default([]),
});

/** The {@link SlackAppInteractivity} of a parsed entry, its settings resolved by `secret` (alertingConfig.ts's lookup). */
export function slackAppInteractivity(entry: z.output<typeof slackAppEntrySchema>, secret: (setting: string) => Secret): SlackAppInteractivity {
  return {
    name: entry.name,
    type: 'slackApp',
    botToken: secret(entry.botTokenSetting),
    channel: entry.channel,
    signingSecret: entry.signingSecretSetting === undefined ? undefined : secret(entry.signingSecretSetting),
    allowedActors: entry.allowedActors.map((actor): SlackActorAllowance => ({ ...actor })),
  };
}

/** The receivers of the routing document that are Slack apps (their receiver type carries the contract's fields). */
export function slackAppsOf(receivers: Iterable<{ name: string; type: string }>): SlackAppInteractivity[] {
  const apps: SlackAppInteractivity[] = [];
  for (const receiver of receivers) {
    if (receiver.type !== 'slackApp') continue;
    const candidate = receiver as Partial<SlackAppInteractivity>;
    if (candidate.botToken instanceof Secret && Array.isArray(candidate.allowedActors)) apps.push(candidate as SlackAppInteractivity);
  }
  return apps;
}
