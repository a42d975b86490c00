/**
 * Generic webhook: a documented JSON document (schema version 1), signed at send time with
 * HMAC-SHA256 over `{timestamp}.{body}` so receivers can verify it and reject replays:
 *
 *   X-FleetGuard-Delivery:  unique id of this delivery (receivers de-duplicate on it)
 *   X-FleetGuard-Timestamp: Unix seconds when it was signed
 *   X-FleetGuard-Signature: v1=<hex HMAC-SHA256(key, timestamp + "." + raw body)>
 *
 * A receiver recomputes the signature over the raw body, compares in constant time, and rejects
 * timestamps more than five minutes away from its clock.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

import type { PlannedNotification } from '../alert.js';
import { fitting, headline, type RenderedMessage } from './common.js';

export const WEBHOOK_SCHEMA_VERSION = '1';
export const REPLAY_WINDOW_SECONDS = 300;

export function renderWebhook(notification: PlannedNotification): RenderedMessage[] {
  const messages: RenderedMessage[] = [];
  let remaining = notification.alerts;
  // Machines want every alert, so a large group is split into several documents, not summarised.
  while (remaining.length > 0) {
    const body = fitting(remaining, (shown) => ({
      version: WEBHOOK_SCHEMA_VERSION,
      route: notification.route,
      groupKey: notification.groupKey,
      alerts: shown.map((alert) => ({
        status: alert.status,
        fingerprint: alert.finding.fingerprint,
        ruleId: alert.finding.ruleId,
        severity: alert.finding.severity,
        title: alert.finding.title,
        detail: alert.finding.detail,
        practice: alert.finding.practice,
        docUrl: alert.finding.docUrl,
        cluster: { resourceId: alert.finding.resourceId, name: alert.finding.clusterName, subscriptionId: alert.finding.subscriptionId, tags: alert.finding.clusterTags },
        subject: alert.finding.subject ?? null,
        firstSeen: alert.finding.firstSeen,
        lastSeen: alert.finding.lastSeen,
        resolvedAt: alert.finding.resolvedAt ?? null,
      })),
    }));
    const count = (body.alerts as unknown[]).length || 1;
    messages.push({ kind: 'webhook', body, alertCount: count, summary: headline({ ...notification, alerts: remaining.slice(0, count) }) });
    remaining = remaining.slice(count);
  }
  return messages;
}

export function webhookSignature(key: string, timestamp: number, rawBody: string): string {
  return `v1=${createHmac('sha256', key).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/** What a receiver does: true when the signature is valid and the timestamp is fresh. */
export function verifyWebhookSignature(key: string, headers: { timestamp: string | undefined; signature: string | undefined }, rawBody: string, nowSeconds: number): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > REPLAY_WINDOW_SECONDS || headers.signature === undefined) return false;
  const expected = Buffer.from(webhookSignature(key, timestamp, rawBody));
  const actual = Buffer.from(headers.signature);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
