/**
 * PagerDuty Events API v2 (developer.pagerduty.com/docs/events-api-v2/trigger-events): one event
 * per alert. `trigger` with a `dedup_key` from the fingerprint, `resolve` with the same key.
 * `routing_key` is added at send time, so the outbox never holds it.
 *
 * PagerDuty shows `summary` and `custom_details` as plain text (no Markdown or HTML is rendered
 * from an event's fields), but its web UI makes URLs in them clickable, and `links` are rendered
 * as links. So the human-facing text from fleet data (`summary`, `custom_details.detail`) is
 * neutralised (../markup/fleetText.ts: URLs defanged, mentions broken), and `links` holds only our
 * own guidance link (docLinks.ts). Machine fields (`source`, `component`, `group`, `class`, tags,
 * fingerprint) carry the data as is: they are for routing and de-duplication, not shown as markup.
 */
import { createHash } from 'node:crypto';

import type { Severity } from '../../../model/finding.js';
import type { Alert, PlannedNotification } from '../../alert.js';
import { fitText, truncate } from '../../notifiers/budget.js';
import { MESSAGE_BUDGET, type RenderedMessage } from '../../notifiers/common.js';
import { guidanceUrl } from '../markup/docLinks.js';
import { fleetText } from '../markup/fleetText.js';

/**
 * Characters (`dedupKey`, `summary`) and bytes (`payloadBytes`), from PagerDuty/developer-docs
 * docs/events-API-v2/02-Trigger-Events.md ("maximum permitted length ... 255 / 1024 characters")
 * and 01-Overview.md ("Events API payloads are limited to 512 KB"), commit 1da9f6a2d181. Our
 * bodies also keep within the outbox's MESSAGE_BUDGET, far below the payload limit.
 */
export const PAGERDUTY_LIMITS = { dedupKey: 255, summary: 1024, payloadBytes: 512 * 1024 } as const;

const SEVERITY: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
  info: 'info',
};

export function dedupKeyOf(fingerprint: string): string {
  const key = `${DEDUP_PREFIX}${fingerprint}`;
  // Cutting a key could merge two alerts into one incident; a digest of it stays unique.
  return key.length <= PAGERDUTY_LIMITS.dedupKey ? key : `aks-fleet-guard/sha256-${createHash('sha256').update(fingerprint).digest('hex')}`;
}

const DEDUP_PREFIX = 'aks-fleet-guard/';
const FINGERPRINT_KEY = /^aks-fleet-guard\/([0-9a-f]{64})$/;

/**
 * The finding a `dedup_key` (a PagerDuty incident's `incident_key`) was built from, or undefined
 * when it is not one of ours. Fingerprints are 64 hex digits (model/finding.ts), so
 * {@link dedupKeyOf} never needs its digest form for them: every key of ours maps back.
 */
export function fingerprintOfDedupKey(key: string): string | undefined {
  return FINGERPRINT_KEY.exec(key)?.[1];
}

function renderOne(alert: Alert): RenderedMessage {
  const finding = alert.finding;
  const dedupKey = dedupKeyOf(finding.fingerprint);
  if (alert.status === 'resolved') {
    return {
      kind: 'pagerduty',
      body: { event_action: 'resolve', dedup_key: dedupKey },
      alertCount: 1,
      summary: `resolve ${finding.ruleId} on ${finding.clusterName}`,
    };
  }
  const summary = truncate(fleetText(`[${finding.severity}] ${finding.ruleId} on ${finding.clusterName}: ${finding.title}`), PAGERDUTY_LIMITS.summary);
  const guidance = guidanceUrl(finding.docUrl);
  const body = fitText(truncate(fleetText(finding.detail), 4000), Math.min(MESSAGE_BUDGET, PAGERDUTY_LIMITS.payloadBytes), (detail) => ({
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: {
      summary,
      source: finding.resourceId,
      severity: SEVERITY[finding.severity],
      timestamp: finding.lastSeen,
      component: finding.clusterName,
      group: finding.subscriptionId,
      class: finding.ruleId,
      custom_details: {
        detail,
        practice: finding.practice,
        first_seen: finding.firstSeen,
        last_seen: finding.lastSeen,
        cluster_tags: finding.clusterTags,
        fingerprint: finding.fingerprint,
      },
    },
    links: guidance === undefined ? [] : [{ href: guidance, text: 'Microsoft guidance' }],
    client: 'aks-fleet-guard',
  }));
  return { kind: 'pagerduty', body, alertCount: 1, summary };
}

export function renderPagerDuty(notification: PlannedNotification): RenderedMessage[] {
  return notification.alerts.map(renderOne);
}
