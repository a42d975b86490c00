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
 *
 * The document is data, not markup: every fleet value (names, finding text, detection evidence,
 * `docUrl`) is its own JSON string field, exactly as observed (only a huge `detail` is cut), and
 * nothing is interpolated into a string of ours. Nothing is pre-escaped for any markup, because we
 * cannot know the receiver's: a signed document proves who sent it, not that its text is safe, so
 * a receiver that shows these fields escapes them for its own output (HTML, Markdown, chat).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

import type { PlannedNotification } from '../../alert.js';
import { fitText, jsonBytes } from '../../notifiers/budget.js';
import { headline, MESSAGE_BUDGET, type RenderedMessage } from '../../notifiers/common.js';

export const WEBHOOK_SCHEMA_VERSION = '1';
export const REPLAY_WINDOW_SECONDS = 300;

function documentAlert(alert: PlannedNotification['alerts'][number], detail: string): Record<string, unknown> {
  const finding = alert.finding;
  return {
    status: alert.status,
    fingerprint: finding.fingerprint,
    ruleId: finding.ruleId,
    severity: finding.severity,
    title: finding.title,
    detail,
    practice: finding.practice,
    docUrl: finding.docUrl,
    cluster: { resourceId: finding.resourceId, name: finding.clusterName, subscriptionId: finding.subscriptionId, tags: finding.clusterTags },
    subject: finding.subject ?? null,
    firstSeen: finding.firstSeen,
    lastSeen: finding.lastSeen,
    resolvedAt: finding.resolvedAt ?? null,
  };
}

export function renderWebhook(notification: PlannedNotification): RenderedMessage[] {
  // Machines want every alert, so a large group is packed into several documents, not summarised.
  // Sizes are UTF-8 bytes of the JSON sent: the envelope, the entries and the commas between them.
  const envelope = (alerts: Array<Record<string, unknown>>) => ({
    version: WEBHOOK_SCHEMA_VERSION,
    route: notification.route,
    groupKey: notification.groupKey,
    alerts,
  });
  const overhead = jsonBytes(envelope([]));
  const messages: RenderedMessage[] = [];
  let batch: Array<Record<string, unknown>> = [];
  let batchAlerts: PlannedNotification['alerts'] = [];
  let size = overhead;
  const flush = () => {
    if (batch.length === 0) return;
    messages.push({ kind: 'webhook', body: envelope(batch), alertCount: batch.length, summary: headline({ ...notification, alerts: batchAlerts }) });
    batch = [];
    batchAlerts = [];
    size = overhead;
  };
  for (const alert of notification.alerts) {
    // One alert alone too large (a huge detail): its detail is shortened rather than the alert dropped.
    const entry = fitText(alert.finding.detail, MESSAGE_BUDGET - overhead, (detail) => documentAlert(alert, detail));
    const entryBytes = jsonBytes(entry);
    if (batch.length > 0 && size + 1 + entryBytes > MESSAGE_BUDGET) flush();
    size += (batch.length > 0 ? 1 : 0) + entryBytes;
    batch.push(entry);
    batchAlerts = [...batchAlerts, alert];
  }
  flush();
  return messages;
}

export function webhookSignature(key: string, timestamp: number, rawBody: string): string {
  return `v1=${createHmac('sha256', key).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/** What a receiver does: true when the signature is valid and the timestamp is fresh. */
export function verifyWebhookSignature(
  key: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  nowSeconds: number,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > REPLAY_WINDOW_SECONDS || headers.signature === undefined) return false;
  const expected = Buffer.from(webhookSignature(key, timestamp, rawBody));
  const actual = Buffer.from(headers.signature);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
