/**
 * The Slack Web API as the Slack app receiver uses it: the methods, where they live, and what an
 * answer means. Slack answers most errors with HTTP 200 and `{ ok: false, error }`
 * (docs.slack.dev/apis/web-api: "the response will contain a top-level error property"), so the
 * answer's body decides, not its status:
 * - retried: HTTP 429 with `Retry-After` (docs.slack.dev/apis/web-api/rate-limits: "HTTP 429 Too Many
 *   Requests ... a Retry-After HTTP header containing the number of seconds until you can retry"),
 *   HTTP 5xx, no answer, and the transient errors the methods list (docs.slack.dev/reference/methods/chat.postMessage
 *   and chat.update, "Errors": `ratelimited`, `internal_error`, `fatal_error`, `service_unavailable`,
 *   `request_timeout`);
 * - permanent: every other error (`invalid_auth`, `not_authed`, `account_inactive`, `token_revoked`,
 *   `channel_not_found`, `not_in_channel`, `is_archived`, `msg_too_long`, `invalid_blocks`,
 *   `message_not_found`, `cant_update_message`, `edit_window_closed`, `missing_scope`, ...) and
 *   other 4xx statuses: resending the same request gets the same answer.
 */
import type { HttpAnswer } from '../../transport.js';

/** Commercial Slack and GovSlack (docs.slack.dev/govslack: GovSlack's Web API is at slack-gov.com/api). */
export const SLACK_API_BASES = { default: 'https://slack.com/api', govslack: 'https://slack-gov.com/api' } as const;

export type SlackMethod = 'chat.postMessage' | 'chat.update' | 'usergroups.users.list';

/** Errors the methods document as transient. */
export const RETRYABLE_SLACK_ERRORS: ReadonlySet<string> = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** What chat.postMessage and chat.update answer on success (the message's identity). */
export interface SlackOk {
  channel: string;
  ts: string;
}

export type SlackVerdict = { kind: 'ok'; message: SlackOk } | { kind: 'retry' | 'give-up'; error: string };

function answerBody(answer: HttpAnswer): { ok?: unknown; error?: unknown; channel?: unknown; ts?: unknown } | undefined {
  try {
    const parsed = JSON.parse(answer.body) as unknown;
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The meaning of a Slack Web API answer (see the module comment for the sources). */
export function classifySlackAnswer(answer: HttpAnswer): SlackVerdict {
  if (answer.status === 429)
    return { kind: 'retry', error: answer.body === '' ? `ratelimited (HTTP 429, Retry-After ${answer.retryAfterSeconds ?? '?'} s)` : answer.body };
  if (answer.status >= 500) return { kind: 'retry', error: answer.body };
  if (answer.status < 200 || answer.status >= 300) return { kind: 'give-up', error: answer.body };
  const body = answerBody(answer);
  // A 200 that is not a Slack answer (a proxy's page): not what Slack said, so try again later.
  if (body === undefined) return { kind: 'retry', error: `HTTP ${answer.status} without a Slack answer: ${answer.body.slice(0, 200)}` };
  if (body.ok === true) {
    return { kind: 'ok', message: { channel: typeof body.channel === 'string' ? body.channel : '', ts: typeof body.ts === 'string' ? body.ts : '' } };
  }
  const error = typeof body.error === 'string' ? body.error : 'unknown_error';
  return { kind: RETRYABLE_SLACK_ERRORS.has(error) ? 'retry' : 'give-up', error };
}
