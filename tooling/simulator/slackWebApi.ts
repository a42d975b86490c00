/**
 * The Slack Web API as the local webhook sink serves it (`/slackApp/{receiver}/api/{method}`), a
 * model of one workspace that tests can read: channels, their messages (with every edit) and
 * threads. It answers as Slack does (HTTP 200 with `{ ok: false, error }` for refusals):
 * - chat.postMessage (docs.slack.dev/reference/methods/chat.postMessage): a bearer token
 *   (`not_authed`; a token the workspace does not know: `invalid_auth`), a known channel
 *   (`channel_not_found`) the app is a member of (`not_in_channel`), not archived (`is_archived`),
 *   text or blocks (`no_text`), Block Kit limits (`invalid_blocks`) and 40,000 characters of text
 *   (`msg_too_long`) as ../../lib/alerts/vendors/slackApp/service.ts; with `thread_ts`, a reply in
 *   the parent's thread (an unknown parent: `thread_not_found`, the error conversations.replies
 *   documents for it). Answers `{ ok, channel, ts, message }`.
 * - chat.update (docs.slack.dev/reference/methods/chat.update): `message_not_found` for an unknown
 *   `ts` (or one deleted with `deleteMessage`), `cant_update_message` for a message another app
 *   posted; answers `{ ok, channel, ts, text }`.
 * - usergroups.users.list (docs.slack.dev/reference/methods/usergroups.users.list): `{ ok, users }`,
 *   `no_such_subteam` for an unknown group.
 * - Rate limits per method (docs.slack.dev/apis/web-api/rate-limits): chat.postMessage about one
 *   message per second per channel ("special" tier), chat.update Tier 3 (50 per minute), answered
 *   with HTTP 429, `Retry-After` in seconds and `{ ok: false, error: 'ratelimited' }`. The clock is
 *   `now` (tests pass their virtual clock).
 * - `response_url` posts (`/slackActions/...`, Slack's `https://hooks.slack.com/actions/...`): recorded in
 *   `responses` and answered `ok` (docs.slack.dev/interactivity/handling-user-interaction#message_responses).
 */
import { bearerToken, slackAppService, slackError, slackMethodOf } from '../../lib/alerts/vendors/slackApp/service.js';
import { jsonAnswer, type ServiceAnswer, type ServiceRequest } from '../../lib/alerts/vendors/vendor.js';

export interface SlackPostedVersion {
  text: string;
  blocks: unknown[];
}

export interface SlackModelMessage extends SlackPostedVersion {
  ts: string;
  /** The text as first posted. */
  postedText: string;
  channel: string;
  /** The bot token that posted it (chat.update by another token: `cant_update_message`). */
  postedBy: string;
  /** Every chat.update applied, oldest first (the current text and blocks are the last). */
  edits: SlackPostedVersion[];
  replies: Array<SlackPostedVersion & { ts: string }>;
  deleted: boolean;
}

export interface SlackChannel {
  id: string;
  member: boolean;
  archived: boolean;
  /** Top-level messages, in posting order. */
  messages: SlackModelMessage[];
}

export interface SlackAnswer extends ServiceAnswer {
  retryAfterSeconds?: number;
}

export interface SlackWorkspace {
  channels: Map<string, SlackChannel>;
  /** Bot tokens the workspace knows; empty: any `xoxb-` token. */
  tokens: Set<string>;
  usergroups: Map<string, string[]>;
  /** Posts to a `response_url`, in arrival order. */
  responses: Array<{ path: string; body: unknown }>;
  /** Every Web API call and what it answered. */
  calls: Array<{ method: string; ok: boolean; error?: string; status: number }>;
  /** The rate limiter's clock (ms). */
  now: () => number;
  limits: { postPerChannelPerSecond: number; updatePerMinute: number };
  addChannel(id: string, options?: { member?: boolean; archived?: boolean }): SlackChannel;
  /** A top-level message by channel and ts. */
  message(channel: string, ts: string): SlackModelMessage | undefined;
  /** Deletes a message, as a person in the channel would. */
  deleteMessage(channel: string, ts: string): void;
  /** The next `times` calls of `method` fail: an HTTP status (5xx: an outage), or with 200 a Slack error. */
  failNext(method: string, times: number, failure: { status: number; error?: string }): void;
  handle(path: string, request: ServiceRequest): SlackAnswer;
  respond(path: string, request: ServiceRequest): SlackAnswer;
}

function rateLimited(retryAfterMs: number): SlackAnswer {
  return { ...slackError('ratelimited', 429), retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
}

/**
 * A method's arguments: the query string, then the body, JSON or form-encoded (the Web API accepts
 * both: docs.slack.dev/apis/web-api "POST bodies").
 */
function paramsOf(path: string, request: ServiceRequest): Record<string, unknown> {
  const query = Object.fromEntries(new URL(path, 'https://slack.invalid').searchParams.entries());
  const { body } = request;
  if (typeof body === 'object' && body !== null) return { ...query, ...(body as Record<string, unknown>) };
  const type = request.headers['content-type'];
  const form = typeof type === 'string' && type.startsWith('application/x-www-form-urlencoded');
  return form ? { ...query, ...Object.fromEntries(new URLSearchParams(request.rawBody).entries()) } : query;
}

function textParam(params: Record<string, unknown>, name: string): string {
  const value = params[name];
  return typeof value === 'string' ? value : '';
}

export function createSlackWorkspace(now: () => number = Date.now): SlackWorkspace {
  const channels = new Map<string, SlackChannel>();
  const tokens = new Set<string>();
  const usergroups = new Map<string, string[]>();
  const posted = new Map<string, number[]>();
  const updates = new Map<string, number[]>();
  let counter = 0;
  const failures: Array<{ method: string; remaining: number; failure: { status: number; error?: string } }> = [];
  const failure = (method: string): SlackAnswer | undefined => {
    const scheduled = failures.find((entry) => entry.method === method && entry.remaining > 0);
    if (scheduled === undefined) return undefined;
    scheduled.remaining -= 1;
    const { status, error } = scheduled.failure;
    return status === 200 ? slackError(error ?? 'internal_error') : { status, contentType: 'text/plain', text: `simulated ${status}` };
  };
  const workspace: SlackWorkspace = {
    channels,
    tokens,
    usergroups,
    responses: [],
    calls: [],
    now,
    limits: { postPerChannelPerSecond: 1, updatePerMinute: 50 },
    addChannel(id, options = {}) {
      const channel: SlackChannel = { id, member: options.member ?? true, archived: options.archived ?? false, messages: [] };
      channels.set(id, channel);
      return channel;
    },
    message: (channel, ts) => channels.get(channel)?.messages.find((message) => message.ts === ts && !message.deleted),
    deleteMessage(channel, ts) {
      const message = workspace.message(channel, ts);
      if (message !== undefined) message.deleted = true;
    },
    failNext(method, times, failed) {
      failures.push({ method, remaining: times, failure: failed });
    },
    handle(path, request) {
      const method = slackMethodOf(path) ?? '';
      const answer = failure(method) ?? answerCall(method, path, request);
      const parsed = (answer.contentType === 'application/json' ? JSON.parse(answer.text) : {}) as { ok?: boolean; error?: string };
      workspace.calls.push({ method, ok: parsed.ok === true, ...(parsed.error === undefined ? {} : { error: parsed.error }), status: answer.status });
      return answer;
    },
    respond(path, request) {
      workspace.responses.push({ path, body: request.body });
      return { status: 200, contentType: 'text/plain', text: 'ok' };
    },
  };

  /** A sliding window per key: undefined when the call may go now, else how long to wait. */
  const admit = (windows: Map<string, number[]>, key: string, limit: number, windowMs: number): number | undefined => {
    const at = workspace.now();
    const recent = (windows.get(key) ?? []).filter((time) => time > at - windowMs);
    windows.set(key, recent);
    if (recent.length >= limit) return (recent[0] ?? at) + windowMs - at;
    recent.push(at);
    return undefined;
  };

  const nextTs = () => {
    counter += 1;
    return `${Math.floor(workspace.now() / 1000)}.${String(counter).padStart(6, '0')}`;
  };

  function answerCall(method: string, path: string, request: ServiceRequest): SlackAnswer {
    const refusal = slackAppService.refusal({ ...request, path });
    if (refusal !== undefined) return refusal;
    const token = bearerToken(request.headers) ?? '';
    if (!token.startsWith('xoxb-') || (tokens.size > 0 && !tokens.has(token))) return slackError('invalid_auth');
    const params = paramsOf(path, request);
    if (method === 'usergroups.users.list') {
      const users = usergroups.get(textParam(params, 'usergroup'));
      return users === undefined ? slackError('no_such_subteam') : jsonAnswer(200, { ok: true, users });
    }
    const channel = channels.get(textParam(params, 'channel'));
    if (channel === undefined) return slackError('channel_not_found');
    if (channel.archived) return slackError('is_archived');
    if (!channel.member) return slackError('not_in_channel');
    const text = typeof params['text'] === 'string' ? params['text'] : '';
    const blocks = Array.isArray(params['blocks']) ? (params['blocks'] as unknown[]) : [];
    if (text === '' && blocks.length === 0) return slackError('no_text');
    if (method === 'chat.update') {
      const wait = admit(updates, token, workspace.limits.updatePerMinute, 60_000);
      if (wait !== undefined) return rateLimited(wait);
      const message = workspace.message(channel.id, textParam(params, 'ts'));
      if (message === undefined) return slackError('message_not_found');
      if (message.postedBy !== token) return slackError('cant_update_message');
      message.text = text;
      message.blocks = blocks;
      message.edits.push({ text, blocks });
      return jsonAnswer(200, { ok: true, channel: channel.id, ts: message.ts, text, message: { text, blocks } });
    }
    const wait = admit(posted, channel.id, workspace.limits.postPerChannelPerSecond, 1_000);
    if (wait !== undefined) return rateLimited(wait);
    const threadTs = typeof params['thread_ts'] === 'string' ? params['thread_ts'] : undefined;
    const ts = nextTs();
    if (threadTs !== undefined) {
      const parent = workspace.message(channel.id, threadTs);
      if (parent === undefined) return slackError('thread_not_found');
      parent.replies.push({ ts, text, blocks });
    } else {
      channel.messages.push({ ts, postedText: text, channel: channel.id, text, blocks, postedBy: token, edits: [], replies: [], deleted: false });
    }
    return jsonAnswer(200, {
      ok: true,
      channel: channel.id,
      ts,
      message: { type: 'message', text, blocks, ts, ...(threadTs === undefined ? {} : { thread_ts: threadTs }) },
    });
  }

  return workspace;
}
