/**
 * Slack's request signing, verified exactly as Slack documents it ("Verifying requests from Slack",
 * https://docs.slack.dev/authentication/verifying-requests-from-slack):
 *   1. `X-Slack-Request-Timestamp` more than five minutes from now is refused (a replay of an old request);
 *   2. the base string is `v0:` + timestamp + `:` + the raw body, exactly as received (before any decoding);
 *   3. `X-Slack-Signature` must be `v0=` + hex HMAC-SHA256 of it with the app's signing secret,
 *      compared in constant time ("use a constant-time string comparison" — crypto.timingSafeEqual,
 *      which throws on unequal lengths, so lengths are checked first).
 * Pure: the clock and the secrets are arguments. Reasons never contain a secret or a computed signature.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

import type { Secret } from '../../secret.js';

/** Slack's window: "more than five minutes from local time" is refused (the docs' example uses 60 * 5 seconds). */
export const SLACK_SIGNATURE_WINDOW_MS = 5 * 60_000;

export interface SignedRequest {
  /** `X-Slack-Request-Timestamp` (seconds since the epoch), as received. */
  timestamp: string | null | undefined;
  /** `X-Slack-Signature`, as received. */
  signature: string | null | undefined;
  /** The body exactly as received. */
  rawBody: string;
}

export type SignatureVerdict<Candidate> = { verified: Candidate; signature: string; timestampSeconds: number } | { refused: string };

/** `v0=` and 64 lower-case hex digits: what Slack sends; anything else is refused before any HMAC. */
const SIGNATURE_FORMAT = /^v0=[0-9a-f]{64}$/;

/** The `v0=` signature of `rawBody` at `timestamp` with `secret`. Exported for the simulator, which signs as Slack does. */
export function slackSignature(secret: Secret, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', secret.reveal()).update(`v0:${timestamp}:${rawBody}`, 'utf8').digest('hex')}`;
}

/** Constant-time equality of two signatures; false (without comparing) when their lengths differ. */
function sameSignature(expected: string, received: string): boolean {
  const left = Buffer.from(expected, 'utf8');
  const right = Buffer.from(received, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Which candidate's signing secret signed the request (several Slack apps may be configured), or why
 * it is refused. Every candidate is tried, so the time taken does not depend on which one matched.
 */
export function verifySlackSignature<Candidate extends { signingSecret: Secret }>(
  request: SignedRequest,
  candidates: readonly Candidate[],
  now: Date,
): SignatureVerdict<Candidate> {
  const { timestamp, signature } = request;
  if (timestamp === null || timestamp === undefined || timestamp === '') return { refused: 'X-Slack-Request-Timestamp is missing' };
  if (signature === null || signature === undefined || signature === '') return { refused: 'X-Slack-Signature is missing' };
  if (!/^\d{1,12}$/.test(timestamp)) return { refused: 'X-Slack-Request-Timestamp is not a number of seconds' };
  const timestampSeconds = Number(timestamp);
  if (Math.abs(now.getTime() - timestampSeconds * 1000) > SLACK_SIGNATURE_WINDOW_MS) {
    return { refused: 'X-Slack-Request-Timestamp is more than 5 minutes from now (a stale or replayed request, or a clock out of sync)' };
  }
  if (!SIGNATURE_FORMAT.test(signature)) return { refused: 'X-Slack-Signature is not a v0 signature (v0= and 64 hex digits)' };
  let matched: Candidate | undefined;
  for (const candidate of candidates) {
    if (sameSignature(slackSignature(candidate.signingSecret, timestamp, request.rawBody), signature)) matched ??= candidate;
  }
  if (matched === undefined) return { refused: 'X-Slack-Signature does not match the signing secret of any configured Slack app' };
  return { verified: matched, signature, timestampSeconds };
}
