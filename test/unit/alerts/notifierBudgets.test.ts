/**
 * Vendor size budgets over hostile text: CJK, emoji, astral-plane characters, combining marks and
 * `&<>` mixes. Whatever a finding says, every rendered body is valid JSON within the vendor's
 * byte and character limits, never holds a lone surrogate or a split `&amp;`-style entity, keeps
 * every alert's guidance link, and represents every alert of the group in exactly one message.
 *
 * Limits (../shared/reference/service-limits.md):
 * - Teams: 28,672 bytes ("max allowed size is 28672 bytes", MicrosoftDocs/msteams-docs#11274;
 *   "about 28 KB ... Request Entity Too Large", learn.microsoft.com/connectors/teams, known issues).
 * - Slack Block Kit (docs.slack.dev/reference/block-kit): 50 blocks, header 150, section text
 *   3,000, 10 fields of 2,000 characters.
 * - PagerDuty Events API v2: summary 1,024 and dedup_key 255 characters, payload 512 KB
 *   (PagerDuty/developer-docs docs/events-API-v2/01-Overview.md and 02-Trigger-Events.md).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { Alert, PlannedNotification } from '../../../lib/alerts/alert.js';
import { type AlertReceiver, parseAlertingDocument } from '../../../lib/alerts/alertingConfig.js';
import { MESSAGE_BUDGET, type RenderedMessage } from '../../../lib/alerts/notifiers/common.js';
import { renderNotification } from '../../../lib/alerts/vendors/index.js';
import { blocksTextLength } from '../../../lib/alerts/vendors/slack/render.js';
import { firing, resolved, routingDocument, SECRETS } from '../../harness/alerts.js';

const TEAMS_MAX_BYTES = 28_672;
// blocksText: an undocumented cumulative limit; 11,341 characters of block text were refused
// with msg_blocks_too_long (slackapi/bolt-js#2867, #2509).
const SLACK = { blocks: 50, headerText: 150, sectionText: 3000, fields: 10, fieldText: 2000, blocksText: 11_341 };
const PAGERDUTY = { summary: 1024, dedupKey: 255, payloadBytes: 512 * 1024 };

const config = parseAlertingDocument(routingDocument('- { name: digest, receiver: slack }'), 'test', SECRETS);
function receiver(name: string): AlertReceiver {
  const found = config.receivers.get(name);
  if (found === undefined) throw new Error(`no receiver ${name}`);
  return found;
}
const RECEIVERS = { slack: receiver('slack'), teams: receiver('teams'), pagerduty: receiver('pager'), webhook: receiver('hook') };

function group(alerts: Alert[]): PlannedNotification {
  return { route: 'digest', receiver: 'r', groupKey: 'k', alerts };
}

const bytes = (body: unknown): number => Buffer.byteLength(JSON.stringify(body), 'utf8');
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Every string anywhere in a body. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** The checks every vendor's bodies pass: JSON that survives a round trip, no lone surrogate. */
function checkWellFormed(messages: RenderedMessage[]): void {
  for (const message of messages) {
    const text = JSON.stringify(message.body);
    expect(JSON.parse(text)).toEqual(message.body);
    for (const value of strings(message.body)) expect(LONE_SURROGATE.test(value), value.slice(-20)).toBe(false);
  }
}

/** In Slack mrkdwn, every `&` starts one of the three entities and every `<` opens one of our links. */
function checkSlackEscapes(text: string): void {
  expect(text.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
  expect(text.replace(/<https:\/\/learn\.microsoft\.com\/[^|<>]+\|[^<>]+>/g, '')).not.toMatch(/[<>]/);
}

type SlackBlock = { type: string; text?: { type: string; text: string }; fields?: Array<{ text: string }>; elements?: Array<{ text: string }> };

function checkSlack(messages: RenderedMessage[]): void {
  for (const message of messages) {
    const blocks = message.body['blocks'] as SlackBlock[];
    expect(bytes(message.body)).toBeLessThanOrEqual(MESSAGE_BUDGET);
    expect(blocks.length).toBeLessThanOrEqual(SLACK.blocks);
    expect(blocksTextLength(blocks)).toBeLessThan(SLACK.blocksText);
    checkSlackEscapes(message.body['text'] as string);
    for (const block of blocks) {
      if (block.type === 'header') expect(block.text?.text.length).toBeLessThanOrEqual(SLACK.headerText);
      if (block.type === 'section' && block.text !== undefined) {
        expect(block.text.text.length).toBeLessThanOrEqual(SLACK.sectionText);
        checkSlackEscapes(block.text.text);
      }
      expect(block.fields?.length ?? 0).toBeLessThanOrEqual(SLACK.fields);
      for (const field of block.fields ?? []) {
        expect(field.text.length).toBeLessThanOrEqual(SLACK.fieldText);
        checkSlackEscapes(field.text);
      }
      for (const element of block.elements ?? []) checkSlackEscapes(element.text);
    }
  }
}

/** Each alert (its rule id is unique here) is in exactly one message, with its guidance link. */
function checkEveryAlertOnce(messages: RenderedMessage[], alerts: Alert[]): void {
  const texts = messages.map((message) => JSON.stringify(message.body));
  for (const alert of alerts) {
    const holding = texts.filter((text) => text.includes(alert.finding.ruleId));
    expect(holding, alert.finding.ruleId).toHaveLength(1);
    expect(holding[0]).toContain(alert.finding.docUrl);
  }
  expect(messages.reduce((sum, message) => sum + message.alertCount, 0)).toBe(alerts.length);
}

// Hostile text: pieces that are easy to split (surrogate pairs, ZWJ sequences, combining marks,
// entities once escaped) mixed with arbitrary code points.
const PIECES = ['&', '<', '>', '&amp;', 'a', ' ', '漢字', 'ポリシー', '🚀', '👩‍👩‍👧‍👦', '𠀋', '𝔘', 'e\u0301', '🇫🇷', '"', '\\', '\n'];
// Any code point outside the surrogate block (well-formed input; cuts must keep it well-formed).
const codePoint = fc.integer({ min: 1, max: 0x10ffff - 0x800 }).map((value) => String.fromCodePoint(value >= 0xd800 ? value + 0x800 : value));
const hostile = (maxPieces: number) =>
  fc.array(fc.oneof(fc.constantFrom(...PIECES), codePoint), { maxLength: maxPieces, size: 'max' }).map((parts) => parts.join(''));
const alertsArbitrary = fc
  .array(
    fc.record({
      title: hostile(300),
      detail: hostile(1000),
      cluster: hostile(30),
      resolved: fc.boolean(),
      severity: fc.constantFrom<'critical' | 'high' | 'medium' | 'low' | 'info'>('critical', 'high', 'medium', 'low', 'info'),
    }),
    { minLength: 1, maxLength: 40, size: 'max' },
  )
  .map((specs) =>
    specs.map((spec, index) => {
      const ruleId = `AKS-R${String(index).padStart(3, '0')}`;
      const overrides = {
        ruleId,
        cluster: spec.cluster,
        title: spec.title,
        detail: spec.detail,
        severity: spec.severity,
        docUrl: `https://learn.microsoft.com/azure/aks/guide-${index}`,
      };
      return spec.resolved ? resolved(overrides) : firing(overrides);
    }),
  );
// No shrinking: a counterexample of 40 long alerts shrinks for minutes; the seed replays it.
const RUNS = { numRuns: 15, seed: 20261130, endOnFailure: true };

describe('vendor budgets over random Unicode (fast-check)', () => {
  it('Teams: every message is under 28,672 bytes, and every alert is in one of them with its link', () => {
    let split = 0;
    fc.assert(
      fc.property(alertsArbitrary, (alerts) => {
        const messages = renderNotification(group(alerts), RECEIVERS.teams);
        if (messages.length > 1) split += 1;
        checkWellFormed(messages);
        for (const message of messages) expect(bytes(message.body)).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
        checkEveryAlertOnce(messages, alerts);
      }),
      RUNS,
    );
    // The generated groups do overflow one message (else the property says little).
    expect(split).toBeGreaterThan(0);
  });

  it('Slack: within Block Kit limits, escapes never split, every alert in one message with its link', () => {
    let split = 0;
    fc.assert(
      fc.property(alertsArbitrary, (alerts) => {
        const messages = renderNotification(group(alerts), RECEIVERS.slack);
        if (messages.length > 1) split += 1;
        checkWellFormed(messages);
        checkSlack(messages);
        checkEveryAlertOnce(messages, alerts);
      }),
      RUNS,
    );
    expect(split).toBeGreaterThan(0);
  });

  it('PagerDuty: summary and dedup_key within limits on whole characters, payload within bounds', () => {
    fc.assert(
      fc.property(alertsArbitrary, (alerts) => {
        const messages = renderNotification(group(alerts), RECEIVERS.pagerduty);
        checkWellFormed(messages);
        expect(messages).toHaveLength(alerts.length);
        for (const message of messages) {
          const body = message.body as { dedup_key: string; payload?: { summary: string } };
          expect(body.dedup_key.length).toBeLessThanOrEqual(PAGERDUTY.dedupKey);
          if (body.payload !== undefined) expect(body.payload.summary.length).toBeLessThanOrEqual(PAGERDUTY.summary);
          expect(bytes(message.body)).toBeLessThanOrEqual(Math.min(MESSAGE_BUDGET, PAGERDUTY.payloadBytes));
        }
      }),
      RUNS,
    );
  });

  it('generic webhook: every alert exactly once, each document within the byte budget', () => {
    fc.assert(
      fc.property(alertsArbitrary, (alerts) => {
        const messages = renderNotification(group(alerts), RECEIVERS.webhook);
        checkWellFormed(messages);
        for (const message of messages) expect(bytes(message.body)).toBeLessThanOrEqual(MESSAGE_BUDGET);
        const delivered = messages.flatMap((message) => (message.body['alerts'] as Array<{ fingerprint: string }>).map((entry) => entry.fingerprint));
        expect(delivered).toEqual(alerts.map((alert) => alert.finding.fingerprint));
      }),
      RUNS,
    );
  });
});

describe('vendor budgets: the reported cases', () => {
  it('Teams: 40 alerts with CJK policy names fit the byte limit, all 40 delivered (was 59 KB, refused, lost)', () => {
    const policy = 'Kubernetes クラスターのコンテナーは許可されたイメージのみを使用する必要があります'.repeat(8);
    const alerts = Array.from({ length: 40 }, (_unused, index) =>
      firing({ ruleId: `AKS-POLICY-${String(index).padStart(2, '0')}`, title: policy, detail: `${policy} — 非準拠のリソース: ${'名前空間'.repeat(60)}` }),
    );
    const messages = renderNotification(group(alerts), RECEIVERS.teams);
    for (const message of messages) expect(bytes(message.body)).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
    checkEveryAlertOnce(messages, alerts);
  });

  it('Slack: a title full of & is cut on whole entities and keeps the guidance link', () => {
    const messages = renderNotification(group([firing({ title: 'R&D '.repeat(900) })]), RECEIVERS.slack);
    checkSlack(messages);
    const section = (messages[0]?.body['blocks'] as SlackBlock[]).find((block) => block.type === 'section' && block.text?.text.includes('AKS-'));
    expect(section?.text?.text).toContain('<https://learn.microsoft.com/azure/aks/x|Microsoft guidance>');
  });

  it('PagerDuty: a summary cut at 1,024 never splits an emoji', () => {
    // `[high] AKS-LOCAL-ACCOUNTS on web-dev: ` is 38 characters; 🚀 is two UTF-16 units, so a cut
    // at 1,023 units (1,024 with the ellipsis) falls inside one of them.
    const [message] = renderNotification(group([firing({ title: '🚀'.repeat(600) })]), RECEIVERS.pagerduty);
    const summary = (message?.body['payload'] as { summary: string }).summary;
    expect(summary.length).toBeLessThanOrEqual(PAGERDUTY.summary);
    expect(LONE_SURROGATE.test(summary)).toBe(false);
    expect(summary.endsWith('🚀…')).toBe(true);
  });

  it('generic webhook: a CJK detail is budgeted in bytes, not characters', () => {
    const messages = renderNotification(
      group([firing({ detail: '漢'.repeat(20_000) }), firing({ ruleId: 'AKS-ENTRA', detail: '字'.repeat(8_000) })]),
      RECEIVERS.webhook,
    );
    for (const message of messages) expect(bytes(message.body)).toBeLessThanOrEqual(MESSAGE_BUDGET);
    expect(messages.flatMap((message) => message.body['alerts'] as unknown[])).toHaveLength(2);
  });
});
