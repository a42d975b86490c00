/**
 * The silence a button on a Slack message creates: it matches the alert group the message shows,
 * i.e. the route's `groupBy` values that every alert of the group shares (routing.ts groupKeyOf).
 * Pure.
 */
import { createHash } from 'node:crypto';

import type { SilenceMatchers } from '../alert.js';
import type { PostedSlackMessage, SlackMessageRef } from '../interactionContract.js';

/** The matchers of the message's group, or why there are none (a route without `groupBy` groups everything). */
export function groupMatchers(message: PostedSlackMessage): { matchers: SilenceMatchers } | { error: string } {
  const first = message.alerts[0];
  if (first === undefined) return { error: 'the message shows no alerts' };
  const matchers: SilenceMatchers = {};
  for (const field of message.groupBy) {
    switch (field) {
      case 'cluster':
        // The ARM id, not the name: two subscriptions may each have a cluster of the same name.
        matchers.cluster = first.resourceId;
        break;
      case 'subscription':
        matchers.subscription = first.subscriptionId;
        break;
      case 'ruleId':
        matchers.ruleId = first.ruleId;
        break;
      case 'severity':
        matchers.severity = first.severity;
        break;
      default:
        return { error: `the route groups by ${field}, which a silence cannot match` };
    }
  }
  if (Object.keys(matchers).length === 0)
    return { error: 'the route has no groupBy, so a silence would match every alert; silence it with `fleetguard silence create` instead' };
  return { matchers };
}

/**
 * The id of the `generation`th silence a button on a message creates: the same for every press of
 * that button while its silence lasts, so a double click or a retry finds the silence made by the
 * first press instead of making another (the store's create fails when the id exists). UUID-shaped,
 * as the silences API expects.
 */
export function buttonSilenceId(ref: SlackMessageRef, actionId: string, generation: number): string {
  const hex = createHash('sha256')
    .update(JSON.stringify(['slack-button', ref.receiver, ref.messageKey, actionId, generation]))
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
