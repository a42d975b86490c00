import { describe, expect, it } from 'vitest';

import type { Alert, PlannedNotification } from '../../../lib/alerts/alert.js';
import { MESSAGE_BUDGET } from '../../../lib/alerts/notifiers/common.js';
import { dedupKeyOf, PAGERDUTY_LIMITS, renderPagerDuty } from '../../../lib/alerts/vendors/pagerduty/render.js';
import { renderSlack, SLACK_LIMITS } from '../../../lib/alerts/vendors/slack/render.js';
import { renderTeams, TEAMS_LIMITS } from '../../../lib/alerts/vendors/teams/render.js';
import { renderWebhook, verifyWebhookSignature, webhookSignature } from '../../../lib/alerts/vendors/webhook/render.js';
import { firing, resolved } from '../../harness/alerts.js';

function notification(alerts: Alert[]): PlannedNotification {
  return { route: 'digest', receiver: 'r', groupKey: 'k', alerts };
}

function many(count: number): Alert[] {
  return Array.from({ length: count }, (_unused, index) =>
    firing({
      ruleId: `AKS-RULE-${index}`,
      cluster: `cluster-${index % 7}`,
      severity: index % 3 === 0 ? 'critical' : 'medium',
      detail: 'x'.repeat(5000),
      title: 't'.repeat(400),
    }),
  );
}

type Block = { type: string; text?: { type: string; text: string }; fields?: Array<{ text: string }>; elements?: Array<{ text: string }> };

describe('Slack Block Kit', () => {
  function checkLimits(body: Record<string, unknown>): Block[] {
    const blocks = body['blocks'] as Block[];
    expect(typeof body['text']).toBe('string');
    expect((body['text'] as string).length).toBeGreaterThan(0);
    expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    for (const block of blocks) {
      expect(['header', 'section', 'divider', 'context']).toContain(block.type);
      if (block.type === 'header') {
        expect(block.text?.type).toBe('plain_text');
        expect(block.text?.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
      }
      if (block.type === 'section') {
        if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
        expect(block.fields?.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.fields);
        for (const field of block.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
      }
    }
    return blocks;
  }

  it('renders a small group completely', () => {
    const [message, extra] = renderSlack(notification([firing(), resolved({ ruleId: 'AKS-ENTRA' })]));
    expect(extra).toBeUndefined();
    if (message === undefined) throw new Error('no message');
    const blocks = checkLimits(message.body);
    expect(message.body['text']).toBe('aks-fleet-guard: 1 firing, 1 resolved on web-dev');
    expect(blocks.filter((block) => block.type === 'section' && block.text?.text.includes('`AKS-'))).toHaveLength(2);
    expect(JSON.stringify(blocks)).toContain(':white_check_mark: *Resolved*');
  });

  it('escapes fleet data so a crafted name cannot ping the channel or plant a link', () => {
    const hostile = firing({
      cluster: 'prod<!channel>',
      detail: 'user <@U0ADMIN> ran exec via <https://evil.example|the runbook> & more',
      title: 'Exec <!here>',
    });
    const body = renderSlack(notification([hostile]))[0]?.body as { text: string; blocks: Array<Block & { type: string }> };
    // Slack parses control sequences in mrkdwn and in the fallback text; plain_text (the header) shows them literally.
    const message = JSON.stringify([body.text, ...body.blocks.filter((block) => block.type !== 'header')]);
    expect(JSON.stringify(body.blocks[0])).toMatch(/"plain_text"/);
    for (const injected of ['<!channel>', '<!here>', '<@U0ADMIN>', '<https://evil.example']) expect(message).not.toContain(injected);
    expect(message).toContain('prod&lt;!channel&gt;');
    // The URL from data is defanged, the mention broken by a word joiner (U+2060), every mrkdwn object verbatim.
    expect(message).toContain('&lt;hxxps[:]//evil[.]example|the runbook&gt; &amp; more');
    expect(message).toContain('&lt;@\u2060U0ADMIN&gt;');
    const texts = body.blocks
      .flatMap((block): unknown[] => [block.text, ...(block.fields ?? [])])
      .filter((text) => (text as { type?: string } | undefined)?.type === 'mrkdwn');
    expect(texts.length).toBeGreaterThan(0);
    expect(texts.every((text) => (text as { verbatim?: boolean }).verbatim === true)).toBe(true);
    // Our own guidance link stays a link.
    expect(message).toContain('<https://learn.microsoft.com/azure/aks/x|Microsoft guidance>');
  });

  it('splits a group of 500 huge findings into messages within 50 blocks and the byte budget, every finding in one of them', () => {
    const alerts = many(500);
    const messages = renderSlack(notification(alerts));
    expect(messages.length).toBeGreaterThan(1);
    for (const [index, message] of messages.entries()) {
      const blocks = checkLimits(message.body);
      expect(Buffer.byteLength(JSON.stringify(message.body))).toBeLessThanOrEqual(MESSAGE_BUDGET);
      // Each message but the last says how many follow; later ones say where they continue.
      if (index < messages.length - 1)
        expect(blocks.at(-1)?.elements?.[0]?.text).toMatch(/…and \d+ more findings \(\d+ critical, \d+ medium\) in the next message\./);
      if (index > 0) expect(blocks[0]?.text?.text).toMatch(/\(continued: \d+–\d+ of 500\)$/);
    }
    // The first message shows findings in full (with their detail), the rest one line each.
    expect(JSON.stringify(messages[0]?.body)).toContain('xxxxxxxxxx');
    expect(messages.reduce((sum, message) => sum + message.alertCount, 0)).toBe(500);
    const text = messages.map((message) => JSON.stringify(message.body)).join('\n');
    for (const alert of alerts) expect(text).toContain(`\`${alert.finding.ruleId}\``);
  });
});

describe('PagerDuty Events API v2', () => {
  it('one trigger per alert with the required fields, enums and limits', () => {
    const long = firing({ severity: 'critical', title: 'x'.repeat(3000) });
    const messages = renderPagerDuty(
      notification([long, firing({ severity: 'medium', ruleId: 'AKS-ENTRA' }), firing({ severity: 'low', ruleId: 'AKS-KEYVAULT-CSI' })]),
    );
    expect(messages).toHaveLength(3);
    for (const message of messages) {
      const body = message.body as { event_action: string; dedup_key: string; payload: Record<string, unknown>; routing_key?: string };
      expect(body.event_action).toBe('trigger');
      expect(body.routing_key).toBeUndefined();
      expect(body.dedup_key.length).toBeLessThanOrEqual(PAGERDUTY_LIMITS.dedupKey);
      expect((body.payload['summary'] as string).length).toBeLessThanOrEqual(PAGERDUTY_LIMITS.summary);
      expect(['critical', 'error', 'warning', 'info']).toContain(body.payload['severity']);
      for (const field of ['summary', 'source', 'severity', 'timestamp', 'component', 'group', 'class', 'custom_details'])
        expect(body.payload).toHaveProperty(field);
      expect(Number.isNaN(Date.parse(body.payload['timestamp'] as string))).toBe(false);
    }
    expect(messages.map((message) => (message.body['payload'] as { severity: string }).severity)).toEqual(['critical', 'warning', 'info']);
  });

  it('a dedup key over 255 characters becomes a digest, never a cut that could merge two alerts (Events API v2: dedup_key ≤ 255)', () => {
    const left = dedupKeyOf(`${'f'.repeat(300)}-left`);
    const right = dedupKeyOf(`${'f'.repeat(300)}-right`);
    expect(left.length).toBeLessThanOrEqual(PAGERDUTY_LIMITS.dedupKey);
    expect(right.length).toBeLessThanOrEqual(PAGERDUTY_LIMITS.dedupKey);
    expect(left).not.toBe(right);
    expect(dedupKeyOf(`${'f'.repeat(300)}-left`)).toBe(left);
  });

  it('maps high to error, and resolves with the same dedup key', () => {
    const [trigger] = renderPagerDuty(notification([firing({ severity: 'high' })]));
    const [resolve] = renderPagerDuty(notification([resolved({ severity: 'high' })]));
    expect((trigger?.body['payload'] as { severity: string }).severity).toBe('error');
    expect(resolve?.body).toEqual({ event_action: 'resolve', dedup_key: trigger?.body['dedup_key'] });
    expect(dedupKeyOf(firing().finding.fingerprint)).toBe(`aks-fleet-guard/${firing().finding.fingerprint}`);
  });
});

describe('Teams Adaptive Card', () => {
  it('is a Workflows message with one Adaptive Card 1.4 within the byte budget; a large group is several cards', () => {
    const messages = renderTeams(notification(many(300)));
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) {
      const body = message.body as {
        type: string;
        attachments: Array<{ contentType: string; content: { type: string; version: string; body: Array<{ type: string; text?: string }> } }>;
      };
      expect(body.type).toBe('message');
      expect(body.attachments).toHaveLength(1);
      expect(body.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
      expect(body.attachments[0]?.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
      expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThanOrEqual(TEAMS_LIMITS.budgetBytes);
    }
    expect((messages[0]?.body as { attachments: Array<{ content: { body: Array<{ text?: string }> } }> }).attachments[0]?.content.body.at(-1)?.text).toMatch(
      /…and \d+ more findings/,
    );
    expect(messages.reduce((sum, message) => sum + message.alertCount, 0)).toBe(300);
  });
});

describe('generic webhook', () => {
  it('documents every alert, splitting large groups into several signed deliveries', () => {
    const alerts = many(400);
    const messages = renderWebhook(notification(alerts));
    expect(messages.length).toBeGreaterThan(1);
    const delivered = messages.flatMap((message) => (message.body['alerts'] as Array<{ fingerprint: string }>).map((alert) => alert.fingerprint));
    expect(delivered).toEqual(alerts.map((alert) => alert.finding.fingerprint));
    for (const message of messages) {
      expect(message.body['version']).toBe('1');
      expect(Buffer.byteLength(JSON.stringify(message.body))).toBeLessThanOrEqual(MESSAGE_BUDGET);
    }
  });

  it('signs timestamp and body with HMAC-SHA256 so receivers can verify and reject replays', () => {
    const body = JSON.stringify(renderWebhook(notification([firing()]))[0]?.body);
    const key = 'k3y';
    const signature = webhookSignature(key, 1_700_000_000, body);
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(key, { timestamp: '1700000000', signature }, body, 1_700_000_100)).toBe(true);
    expect(verifyWebhookSignature(key, { timestamp: '1700000000', signature }, `${body} `, 1_700_000_100)).toBe(false);
    expect(verifyWebhookSignature('other', { timestamp: '1700000000', signature }, body, 1_700_000_100)).toBe(false);
    // A replay outside the five-minute window.
    expect(verifyWebhookSignature(key, { timestamp: '1700000000', signature }, body, 1_700_000_000 + 301)).toBe(false);
  });
});
