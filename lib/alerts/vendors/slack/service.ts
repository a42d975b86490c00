/**
 * What Slack's incoming webhooks accept and answer, for the local sink and the conformance tests.
 * Block Kit limits Slack enforces (docs.slack.dev/reference/block-kit/blocks: at most 50 blocks; a
 * section's text at most 3,000 characters and its fields at most 10 of 2,000; a header's text at
 * most 150). A message past them is refused with 400 and `invalid_blocks` ("Slack responds with 400
 * Bad Request if the limit is crossed", gitlab-org/release-tools!1786); Slack answers the bare
 * code, not what broke the limit. Accepted: 200 `ok` (docs.slack.dev/messaging/sending-messages-using-incoming-webhooks).
 */
import type { ServiceAnswer, ServiceRequest, VendorService } from '../vendor.js';
import { SLACK_LIMITS } from './render.js';

/** Whether a message's blocks keep Block Kit's limits (the Slack app's Web API calls enforce the same). */
export function blocksWithinLimits(body: unknown): boolean {
  const blocks = (body as { blocks?: unknown } | undefined)?.blocks;
  if (blocks === undefined) return true;
  if (!Array.isArray(blocks) || blocks.length > SLACK_LIMITS.blocks) return false;
  return (blocks as Array<{ type?: unknown; text?: { text?: unknown }; fields?: unknown }>).every((block) => {
    const text = typeof block.text?.text === 'string' ? block.text.text : '';
    const fields = Array.isArray(block.fields) ? (block.fields as Array<{ text?: unknown }>) : [];
    return (
      !(block.type === 'header' && text.length > SLACK_LIMITS.headerText) &&
      !(block.type === 'section' && text.length > SLACK_LIMITS.sectionText) &&
      fields.length <= SLACK_LIMITS.fields &&
      fields.every((field) => typeof field.text !== 'string' || field.text.length <= SLACK_LIMITS.fieldText)
    );
  });
}

export const slackService: VendorService = {
  refusal(request: ServiceRequest): ServiceAnswer | undefined {
    return blocksWithinLimits(request.body) ? undefined : { status: 400, contentType: 'text/plain', text: 'invalid_blocks' };
  },
  accepted: () => ({ status: 200, contentType: 'application/json', text: 'ok' }),
};
