/**
 * One HTTPS POST with a timeout, for the notifiers. Redirects are not followed (a webhook that
 * redirects elsewhere would escape the destination checks), and only public addresses are
 * connected to (see outboundAddress.ts).
 */
import { request } from 'node:https';

import { literalHostReason, publicOnlyLookup, REFUSED_ADDRESS_CODE } from './outboundAddress.js';

export interface HttpAnswer {
  /** 0 when there was no answer (network error, timeout). */
  status: number;
  retryAfterSeconds: number | undefined;
  body: string;
  error: string | undefined;
  /** Set when the destination address was refused before connecting: a permanent failure. */
  refusedDestination?: true;
}

export interface PostOptions {
  headers: Record<string, string>;
  timeoutMs: number;
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

export const httpsPost: HttpPost = (url, body, options) =>
  new Promise((resolve) => {
    const guarded = options.allowPrivateAddresses !== true;
    if (guarded) {
      const literalReason = literalHostReason(new URL(url).hostname);
      if (literalReason !== undefined) {
        resolve({ status: 0, retryAfterSeconds: undefined, body: '', error: `refused to connect: the destination ${literalReason}`, refusedDestination: true });
        return;
      }
    }
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
        timeout: options.timeoutMs,
        ...(guarded ? { lookup: publicOnlyLookup } : {}),
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 16_384) chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfterSeconds: retryAfter(res.headers['retry-after']),
            body: Buffer.concat(chunks).toString('utf8'),
            error: undefined,
          }),
        );
        res.on('error', (error) => resolve({ status: 0, retryAfterSeconds: undefined, body: '', error: error.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({
        status: 0,
        retryAfterSeconds: undefined,
        body: '',
        error: error.message,
        ...(error.code === REFUSED_ADDRESS_CODE ? { refusedDestination: true as const } : {}),
      }),
    );
    req.end(body);
  });
