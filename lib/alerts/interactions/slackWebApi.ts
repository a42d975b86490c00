/**
 * The two calls the interaction handler makes to Slack, both bounded so the handler still answers
 * within Slack's 3 seconds ("Handling user interaction": acknowledge within 3000 ms,
 * https://docs.slack.dev/interactivity/handling-user-interaction#acknowledgment_response):
 *   - usergroups.users.list (scope usergroups:read, https://docs.slack.dev/reference/methods/usergroups.users.list):
 *     who is in an allowed user group; cached briefly per worker, so a burst of presses asks once.
 *   - a POST to the press's `response_url` (an ephemeral refusal: `response_type: ephemeral`,
 *     `replace_original: false`), only to Slack's own hosts: the URL comes from the request.
 * With the local sink (FLEETGUARD_ALERT_ENDPOINT), both go to it instead.
 */
import type { SlackAppInteractivity } from '../interactionContract.js';
import type { HttpPost } from '../transport.js';
import type { SlackGroupMembers } from './slackActors.js';

/** Where Slack's calls go: Slack itself, or the local sink (simulator mode) with its certificate. */
export interface SlackCallOptions {
  post: HttpPost;
  endpointOverride?: string;
  caPem?: string;
}

/** Each call's deadline: two of them (a group lookup and a refusal) still fit in Slack's 3 s with the table writes. */
export const SLACK_CALL_TIMEOUT_MS = 1000;
/** How long a user group's members are trusted: a removed member can still press for at most this long. */
export const GROUP_CACHE_MS = 60_000;

/** Hosts a `response_url` may name (commercial and GovSlack). */
const RESPONSE_URL_HOSTS = new Set(['hooks.slack.com', 'hooks.slack-gov.com']);

function target(options: SlackCallOptions, kind: string, receiver: string, path: string): { url: string; local: boolean } {
  return options.endpointOverride === undefined
    ? { url: `https://slack.com${path}`, local: false }
    : { url: `${options.endpointOverride}/${kind}/${encodeURIComponent(receiver)}${path}`, local: true };
}

/** A {@link SlackGroupMembers} over usergroups.users.list with the receiver's bot token, cached for {@link GROUP_CACHE_MS}. */
export function slackGroupMembers(options: SlackCallOptions, clock: () => number = Date.now): SlackGroupMembers {
  const cache = new Map<string, { users: ReadonlySet<string>; until: number }>();
  return async (app: SlackAppInteractivity, groupId: string) => {
    const key = `${app.name}\n${groupId}`;
    const cached = cache.get(key);
    if (cached !== undefined && cached.until > clock()) return cached.users;
    const { url, local } = target(options, 'slackApp', app.name, '/api/usergroups.users.list');
    const answer = await options.post(url, new URLSearchParams({ usergroup: groupId }).toString(), {
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${app.botToken.reveal()}` },
      timeoutMs: SLACK_CALL_TIMEOUT_MS,
      ...(options.caPem === undefined ? {} : { ca: options.caPem }),
      ...(local ? { allowPrivateAddresses: true } : {}),
    });
    // Slack answers 200 with ok:false on errors (missing_scope, no_such_subteam, ...): not a member list.
    const body = answer.status === 200 ? parseJson(answer.body) : undefined;
    if (body === undefined || body.ok !== true || !Array.isArray(body.users)) {
      throw new Error(
        `usergroups.users.list for ${groupId}: ${answer.status === 200 ? (typeof body?.error === 'string' ? body.error : 'unreadable answer') : (answer.error ?? `status ${answer.status}`)}`,
      );
    }
    const users = new Set(body.users.filter((user): user is string => typeof user === 'string'));
    cache.set(key, { users, until: clock() + GROUP_CACHE_MS });
    return users;
  };
}

function parseJson(text: string): { ok?: unknown; error?: unknown; users?: unknown } | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Posts an ephemeral message to the pressing user; resolves whatever Slack answers (or not) within the deadline. */
export type EphemeralReply = (receiver: string, responseUrl: string, text: string) => Promise<void>;

export function ephemeralReply(options: SlackCallOptions): EphemeralReply {
  return async (receiver, responseUrl, text) => {
    const url = new URL(responseUrl);
    if (url.protocol !== 'https:' || !RESPONSE_URL_HOSTS.has(url.hostname)) return;
    const { url: destination, local } = target(options, 'slackActions', receiver, url.pathname);
    await options.post(destination, JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }), {
      headers: { 'content-type': 'application/json' },
      timeoutMs: SLACK_CALL_TIMEOUT_MS,
      ...(options.caPem === undefined ? {} : { ca: options.caPem }),
      ...(local ? { allowPrivateAddresses: true } : {}),
    });
  };
}
