/**
 * PagerDuty v3 webhook signatures, as developer.pagerduty.com "Verifying Signatures" documents
 * (PagerDuty/developer-docs docs/webhooks/04-Signatures.md): `X-PagerDuty-Signature` holds one or
 * more comma-separated signatures (several during a zero-downtime secret rotation); each `v1=` one
 * is the lower-case hex HMAC-SHA256 of the raw request body under a signing secret; the request is
 * authentic when at least one matches, compared in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

import type { Secret } from '../../secret.js';

/** The header, as the Functions host hands it over (names are case-insensitive). */
export const PAGERDUTY_SIGNATURE_HEADER = 'x-pagerduty-signature';

/** Signatures a header may carry before we stop looking: rotation needs two; a long list is not PagerDuty. */
const MAX_SIGNATURES = 8;

/** The `v1=` signature of `body` under `secret` (for the sink and tests, which sign as PagerDuty does). */
export function pagerDutySignature(body: Buffer | string, secret: string): string {
  return `v1=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * True when one `v1` signature in `header` is the HMAC of `body` under one of `secrets`. `body`
 * must be the bytes as received (the docs warn against re-serialised JSON).
 */
export function verifyPagerDutySignature(body: Buffer, header: string | null | undefined, secrets: readonly Secret[]): boolean {
  if (header === null || header === undefined) return false;
  const provided = header
    .split(',')
    .slice(0, MAX_SIGNATURES)
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => Buffer.from(part.slice(3), 'utf8'));
  if (provided.length === 0) return false;
  let matched = false;
  for (const secret of secrets) {
    if (secret.reveal() === '') continue;
    const expected = Buffer.from(createHmac('sha256', secret.reveal()).update(body).digest('hex'), 'utf8');
    // Lengths are public (64 hex digits); the comparison of equal lengths takes the same time whatever matches.
    for (const candidate of provided) if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
  }
  return matched;
}
