/**
 * What Slack's Web API refuses of a request regardless of workspace state, for the conformance
 * tests and the local sink (whose stateful model, tooling/simulator/slackWebApi.ts, adds channels,
 * messages, threads and rate limits): a request without a bearer token (`not_authed`), a method we
 * do not call (`unknown_method`), blocks past Block Kit's limits (`invalid_blocks`, the limits of
 * ../slack/service.ts), and `text` over 40,000 characters (`msg_too_long`). Slack answers these with
 * HTTP 200 and `{ ok: false, error }` (docs.slack.dev/reference/methods/chat.postMessage, "Errors").
 */
import { blocksWithinLimits } from '../slack/service.js';
import { jsonAnswer, type ServiceAnswer, type ServiceRequest, type VendorService } from '../vendor.js';

/** The methods the receiver calls (and the sink serves). */
export const SLACK_APP_METHODS = ['chat.postMessage', 'chat.update', 'usergroups.users.list'] as const;

/** docs.slack.dev/reference/methods/chat.postMessage: "truncating text over 40,000 characters" is refused as msg_too_long. */
export const SLACK_TEXT_LIMIT = 40_000;

export function slackError(error: string, status = 200): ServiceAnswer {
  return jsonAnswer(status, { ok: false, error });
}

/** The method a request calls (`/api/chat.update` → `chat.update`), or undefined. */
export function slackMethodOf(path: string): string | undefined {
  const match = /^\/api\/([A-Za-z.]+)(?:\?.*)?$/.exec(path);
  return match?.[1];
}

export function bearerToken(headers: ServiceRequest['headers']): string | undefined {
  const header = headers['authorization'];
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Bearer (\S+)$/.exec(value ?? '');
  return match?.[1];
}

export const slackAppService: VendorService = {
  refusal(request) {
    const method = slackMethodOf(request.path);
    if (method === undefined || !(SLACK_APP_METHODS as readonly string[]).includes(method)) return slackError('unknown_method', 404);
    if (bearerToken(request.headers) === undefined) return slackError('not_authed');
    if (method === 'usergroups.users.list') return undefined;
    const body = request.body as { text?: unknown } | undefined;
    if (body === undefined) return slackError('invalid_json');
    if (typeof body.text === 'string' && body.text.length > SLACK_TEXT_LIMIT) return slackError('msg_too_long');
    if (!blocksWithinLimits(body)) return slackError('invalid_blocks');
    return undefined;
  },
  accepted(request) {
    const body = (request.body ?? {}) as { channel?: unknown; ts?: unknown };
    return jsonAnswer(200, { ok: true, channel: body.channel, ts: typeof body.ts === 'string' ? body.ts : '1700000000.000100' });
  },
};
