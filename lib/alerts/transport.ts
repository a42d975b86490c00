/**
 * One HTTPS POST with a total deadline, for the notifiers. Redirects are not followed (a webhook that
 * redirects elsewhere would escape the destination checks), and only public addresses are
 * connected to (see outboundAddress.ts).
 *
 * A receiver gets one deadline for the whole exchange: name lookup, connect, TLS, sending the body,
 * the status line and reading the answer. Node's `timeout` option is an idle timer on the socket, so
 * a receiver that drips one byte every few hundred milliseconds (or streams an endless body) never
 * trips it and would hold the outbox drain until the function itself times out. At the deadline the
 * request is aborted and its socket destroyed. What is read back is capped too: vendor error bodies
 * are small (kilobytes), so beyond {@link MAX_RESPONSE_BYTES} the answer is cut off, the socket
 * destroyed, and the send counts as unanswered (retryable), never as delivered.
 */
import { request } from 'node:https';

import { literalHostReason, publicOnlyLookup, REFUSED_ADDRESS_CODE } from './outboundAddress.js';

/** What is read back from a receiver at most: enough for any vendor's error body. */
export const MAX_RESPONSE_BYTES = 65_536;

export interface HttpAnswer {
  /** 0 when there was no complete answer (network error, deadline, answer over the size cap). */
  status: number;
  retryAfterSeconds: number | undefined;
  body: string;
  error: string | undefined;
  /** Set when the destination address was refused before connecting: a permanent failure. */
  refusedDestination?: true;
}

export interface PostOptions {
  headers: Record<string, string>;
  /** Total deadline of the send (lookup, connect, headers and body), in milliseconds. */
  timeoutMs: number;
  /** Cap on the answer's body; {@link MAX_RESPONSE_BYTES} unless set. */
  maxResponseBytes?: number;
  /** Extra CA (the local sink's certificate in simulator mode). */
  ca?: string;
  /** Only for the local sink in simulator mode, which listens on loopback. */
  allowPrivateAddresses?: boolean;
}

function retryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

export type HttpPost = (url: string, body: string, options: PostOptions) => Promise<HttpAnswer>;

function unanswered(error: string, extra: Partial<HttpAnswer> = {}): HttpAnswer {
  return { status: 0, retryAfterSeconds: undefined, body: '', error, ...extra };
}

export const httpsPost: HttpPost = (url, body, options) =>
  new Promise((resolve) => {
    const guarded = options.allowPrivateAddresses !== true;
    if (guarded) {
      const literalReason = literalHostReason(new URL(url).hostname);
      if (literalReason !== undefined) {
        resolve(unanswered(`refused to connect: the destination ${literalReason}`, { refusedDestination: true }));
        return;
      }
    }
    const cap = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
    let settled = false;
    // Armed before the lookup starts, so a slow name resolution counts against the same deadline.
    const deadline = setTimeout(() => {
      finish(unanswered(`no complete answer within ${options.timeoutMs} ms (the deadline of one send)`));
      req.destroy();
    }, options.timeoutMs);
    const finish = (answer: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(answer);
    };
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'aks-fleet-guard',
          ...options.headers,
        },
        ...(guarded ? { lookup: publicOnlyLookup } : {}),
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          size += chunk.length;
          if (size > cap) {
            finish(unanswered(`the answer (HTTP ${res.statusCode ?? 0}) was larger than ${cap} bytes and was cut off`));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          finish({
            status: res.statusCode ?? 0,
            retryAfterSeconds: retryAfter(res.headers['retry-after']),
            body: Buffer.concat(chunks).toString('utf8'),
            error: undefined,
          }),
        );
        res.on('error', (error) => finish(unanswered(error.message)));
        // A connection closed mid-body is no answer, whether or not Node reports it as an error.
        res.on('close', () => {
          if (!res.complete) finish(unanswered('the connection closed before the answer was complete'));
        });
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish(unanswered(error.message, error.code === REFUSED_ADDRESS_CODE ? { refusedDestination: true as const } : {})),
    );
    req.end(body);
  });
