/**
 * Alert text injection (issue 14, "Alert text"): fleet data (cluster and resource names, finding
 * text, detection evidence such as request URIs and user names an anonymous caller controls) must
 * never become a link, a mention or formatting in what a vendor renders.
 *
 * The oracle below reads a rendered payload the way each vendor does (sources in
 * lib/alerts/vendors/markup/*.ts): Slack parses `<…>` control sequences and mrkdwn formatting in
 * mrkdwn text objects and the fallback `text`, and auto-links URLs; Teams parses Markdown
 * (`[title](url)`, `**bold**`, `_italic_`, lists) in TextBlock and Fact fields but not in TextRun;
 * PagerDuty renders `links` and makes URLs clickable; Opsgenie renders HTML in `message` and makes
 * URLs clickable. The hostile strings mark what they plant (the host `evil.example`, the word
 * `PWN` inside formatting, broadcast mentions), so anything the oracle finds came from the data.
 *
 * The oracle and the corpus do not import the escaping modules, so the same file runs against the
 * renderers before the fix (the before/after figure in the last test of the first group).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { PlannedNotification } from '../../lib/alerts/alert.js';
import { parseAlertingDocument } from '../../lib/alerts/alertingConfig.js';
import { AlertPipeline } from '../../lib/alerts/alertPipeline.js';
import { AlertStore } from '../../lib/alerts/alertStore.js';
import { DEFAULT_DRAIN_OPTIONS, drainOutbox } from '../../lib/alerts/outboxDrain.js';
import { httpsPost } from '../../lib/alerts/transport.js';
import { VENDORS } from '../../lib/alerts/vendors/index.js';
import { detectionById } from '../../lib/detections/catalog.js';
import { evaluateDetection } from '../../lib/detections/evaluateDetections.js';
import type { StoredFinding } from '../../lib/findings/lifecycle.js';
import { type RunningSink, startWebhookSink } from '../../tooling/simulator/webhookSink.js';
import { firing, resolved, routingDocument, SECRETS, storedFinding } from '../harness/alerts.js';
import { compliantCluster } from '../harness/clusters.js';
import { azuriteTable, uniqueTableName } from '../harness/tables.js';
import { HOSTILE, HOSTILE_DOC_URLS } from './hostileStrings.js';

const GUIDANCE = 'https://learn.microsoft.com/azure/aks/concepts-security';

/** Every fleet-data field of an alert set to `text` (and the docUrl to `docUrl`). */
function hostileFinding(text: string, docUrl = GUIDANCE): Partial<StoredFinding> & { cluster: string } {
  return {
    cluster: text,
    resourceId: `/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${text}`,
    ruleId: `LOG-${text}`,
    title: text,
    detail: `Evidence: ${text}`,
    practice: text,
    subject: text,
    subscriptionId: text,
    clusterTags: { [text]: text },
    docUrl,
  };
}

function group(text: string, docUrl?: string): PlannedNotification {
  return {
    route: 'digest',
    receiver: 'r',
    groupKey: 'k',
    alerts: [firing(hostileFinding(text, docUrl)), resolved({ ...hostileFinding(text, docUrl), ruleId: 'AKS-OTHER' })],
  };
}

/** What the oracle found that came from data: the vendor would show a link, a mention or formatting. */
interface Live {
  kind: 'link' | 'mention' | 'formatting';
  where: string;
  text: string;
}

const ALLOWED_URL = /https:\/\/learn\.microsoft\.com\/[^\s|<>()[\]"'`\\]*/g;
/** A URL a client would auto-link: any `scheme://`, a `//host` or `www.` host with a dot not defanged (`[.]`). */
const LIVE_URL = /:\/\/|\/\/[^\s/?#<>"'\\()|]*(?<!\[)\.(?!\])|(?<![a-z0-9-])www\./i;
/** Formatting planted by data wraps PWN on both sides (our own markup may wrap a value that ends in PWN). */
const WRAPPED = /[*_~`]PWN[*_~`]/;
const LINE_START = /(^|[\r\n\u2028\u2029])\s*([-+>#]|\d+\.)\s*PWN/;
const BROADCAST = /@(here|channel|everyone)\b/i;

function strings(value: unknown, path: string, out: Array<[string, string]>): Array<[string, string]> {
  if (typeof value === 'string') out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((item, index) => strings(item, `${path}[${index}]`, out));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) strings(item, `${path}.${key}`, out);
  return out;
}

function urlsLive(where: string, text: string): Live[] {
  return LIVE_URL.test(text.replace(ALLOWED_URL, '')) ? [{ kind: 'link', where, text }] : [];
}

/** Slack text objects (and the fallback `text`, parsed as mrkdwn): type, text, whether verbatim. */
function slackTexts(body: unknown): Array<{ where: string; type: string; text: string }> {
  const found: Array<{ where: string; type: string; text: string }> = [];
  const top = (body as { text?: unknown }).text;
  if (typeof top === 'string') found.push({ where: 'text', type: 'mrkdwn', text: top });
  const visit = (value: unknown, where: string): void => {
    if (Array.isArray(value)) value.forEach((item, index) => visit(item, `${where}[${index}]`));
    else if (value !== null && typeof value === 'object') {
      const object = value as Record<string, unknown>;
      if ((object['type'] === 'mrkdwn' || object['type'] === 'plain_text') && typeof object['text'] === 'string')
        found.push({ where, type: object['type'], text: object['text'] });
      for (const [key, item] of Object.entries(object)) visit(item, `${where}.${key}`);
    }
  };
  visit((body as { blocks?: unknown }).blocks, 'blocks');
  return found;
}

/**
 * Slack: in mrkdwn, `<…>` links and mentions and formatting around data; in any text, URLs a
 * client could auto-link and broadcast words (`plain_text` shows `<…>` and formatting literally).
 */
function slackLive(body: unknown): Live[] {
  const found: Live[] = [];
  for (const { where, type, text } of slackTexts(body)) {
    found.push(...urlsLive(where, text));
    if (BROADCAST.test(text)) found.push({ kind: 'mention', where, text });
    if (type !== 'mrkdwn') continue;
    for (const [link, target] of text.matchAll(/<([^>|]*)(?:\|[^>]*)?>/g))
      if ((target ?? '').replace(ALLOWED_URL, '') !== '') found.push({ kind: /^<[!@#]/.test(link) ? 'mention' : 'link', where, text: link });
    if (WRAPPED.test(text) || LINE_START.test(text)) found.push({ kind: 'formatting', where, text });
  }
  return found;
}

/** Teams: Markdown in TextBlock and Fact fields; URLs anywhere; only our own URLs in actions. */
function teamsLive(body: unknown): Live[] {
  const found: Live[] = [];
  for (const [where, text] of strings(body, 'body', [])) {
    if (where.endsWith('.$schema')) continue;
    if (where.endsWith('.url')) {
      if (text.replace(ALLOWED_URL, '') !== '') found.push({ kind: 'link', where, text });
      continue;
    }
    found.push(...urlsLive(where, text));
    const markdown = /\.(text|title|value)$/.test(where) && !/inlines\[\d+\]\.text$/.test(where);
    if (!markdown) continue;
    for (const [link, target] of text.matchAll(/\[[^\]]*\]\(([^)]*)\)/g))
      if ((target ?? '').replace(ALLOWED_URL, '') !== '') found.push({ kind: 'link', where, text: link });
    if (WRAPPED.test(text) || LINE_START.test(text)) found.push({ kind: 'formatting', where, text });
  }
  if (JSON.stringify(body).includes('"entities"')) found.push({ kind: 'mention', where: 'msteams.entities', text: '' });
  return found;
}

/** PagerDuty: `links` are links; its UI makes URLs in the other fields clickable. */
function pagerDutyLive(body: unknown): Live[] {
  const found: Live[] = [];
  for (const [where, text] of strings(body, 'body', [])) {
    if (/\.links\[\d+\]\.href$/.test(where)) {
      if (text.replace(ALLOWED_URL, '') !== '') found.push({ kind: 'link', where, text });
    } else if (/\.(summary|detail)$/.test(where)) found.push(...urlsLive(where, text));
  }
  return found;
}

/** Opsgenie: HTML in `message`; URLs clickable in message, description, details and note. */
function opsgenieLive(body: unknown): Live[] {
  const found: Live[] = [];
  for (const [where, text] of strings(body, 'body', [])) {
    if (where.endsWith('.message') && /<[a-z/!]/i.test(text)) found.push({ kind: 'formatting', where, text });
    if (/\.(message|description|note)$|\.details\./.test(where)) found.push(...urlsLive(where, text));
  }
  return found;
}

/** The oracle per vendor; the generic webhook is a JSON document (checked for exact data instead). */
const ORACLES: Record<string, (body: unknown) => Live[]> = {
  slack: slackLive,
  slackApp: slackLive,
  teams: teamsLive,
  pagerduty: pagerDutyLive,
  opsgenie: opsgenieLive,
  webhook: () => [],
};

function liveIn(vendorName: string, notification: PlannedNotification): Live[] {
  const vendor = VENDORS.find((candidate) => candidate.name === vendorName);
  if (vendor === undefined) throw new Error(`no vendor ${vendorName}`);
  const oracle = ORACLES[vendor.name];
  if (oracle === undefined) throw new Error(`no oracle for vendor ${vendor.name}: add one`);
  return vendor.render(notification).flatMap((message) => oracle(message.body));
}

describe('alert text: fleet data cannot plant a link, a mention or formatting', () => {
  it('every registered vendor has an oracle', () => {
    expect(VENDORS.map((vendor) => vendor.name).sort()).toEqual(Object.keys(ORACLES).sort());
  });

  for (const vendor of VENDORS) {
    it(`${vendor.name}: none of the hostile strings, in every fleet field, survives`, () => {
      for (const [name, text] of HOSTILE) expect([name, liveIn(vendor.name, group(text))]).toEqual([name, []]);
      for (const docUrl of HOSTILE_DOC_URLS) expect([docUrl, liveIn(vendor.name, group('web-dev', docUrl))]).toEqual([docUrl, []]);
    });
  }

  it('property: hostile fragments mixed with arbitrary text, in every field, render inert for every vendor', () => {
    const fragment = fc.oneof(
      fc.constantFrom(...HOSTILE.map(([, text]) => text)),
      fc.constantFrom(
        '\u200B',
        '\u200D',
        '\u2060',
        '\uFEFF',
        '\u202E',
        '\u2066',
        '\n',
        '\r\n',
        '@',
        '<',
        '>',
        '&',
        '*',
        '_',
        '~',
        '`',
        '[',
        ']',
        '(',
        ')',
        '|',
      ),
      fc.string({ unit: 'grapheme', maxLength: 12 }),
    );
    const hostile = fc.array(fragment, { minLength: 1, maxLength: 8 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(hostile, fc.constantFrom(GUIDANCE, ...HOSTILE_DOC_URLS), (text, docUrl) => {
        for (const vendor of VENDORS) expect([vendor.name, liveIn(vendor.name, group(text, docUrl))]).toEqual([vendor.name, []]);
      }),
      { numRuns: 60, seed: 14 },
    );
  });

  it('our own guidance link stays a link for every vendor that shows links', () => {
    const rendered = (name: string) => JSON.stringify(VENDORS.find((vendor) => vendor.name === name)?.render(group('web-dev')));
    expect(rendered('slack')).toContain(`<${GUIDANCE}|Microsoft guidance>`);
    expect(rendered('teams')).toContain(`"text":"[Microsoft guidance](${GUIDANCE})"`);
    expect(rendered('pagerduty')).toContain(`"links":[{"href":"${GUIDANCE}"`);
    expect(rendered('opsgenie')).toContain(`Guidance: ${GUIDANCE}`);
  });

  it('generic webhook: a JSON document whose fields carry the data exactly, nothing interpolated into markup', () => {
    for (const [name, text] of HOSTILE) {
      const [message] = VENDORS.find((vendor) => vendor.name === 'webhook')?.render(group(text)) ?? [];
      const alert = (JSON.parse(JSON.stringify(message?.body)) as { alerts: Array<Record<string, unknown>> }).alerts[0];
      expect([name, alert?.['title'], (alert?.['cluster'] as { name: string }).name, alert?.['docUrl']]).toEqual([name, text, text, GUIDANCE]);
      // A detail too large for the document is cut (to nothing here: every field carries 5,000 characters), never rewritten.
      const detail = String(alert?.['detail']);
      expect([name, `Evidence: ${text}`.startsWith(detail.replace(/…$/, ''))]).toEqual([name, true]);
    }
  });

  it('before/after figure: hostile strings that render live, per vendor (0 after the fix)', () => {
    const cases = [...HOSTILE.map(([, text]) => group(text)), ...HOSTILE_DOC_URLS.map((docUrl) => group('web-dev', docUrl))];
    const figure = Object.fromEntries(
      VENDORS.map((vendor) => {
        const live = cases.map((notification) => liveIn(vendor.name, notification));
        const count = (kind: Live['kind']) => live.filter((found) => found.some((item) => item.kind === kind)).length;
        return [
          vendor.name,
          {
            cases: cases.length,
            live: live.filter((found) => found.length > 0).length,
            link: count('link'),
            mention: count('mention'),
            formatting: count('formatting'),
          },
        ];
      }),
    );
    console.log(`alert text injection, hostile cases rendered live per vendor: ${JSON.stringify(figure)}`);
    for (const vendor of VENDORS) expect(figure[vendor.name]).toMatchObject({ live: 0 });
  });
});

describe('alert text end to end: detection evidence through the pipeline to the local sink', () => {
  let sink: RunningSink;
  beforeAll(async () => {
    sink = await startWebhookSink();
  });
  afterAll(() => sink.close());

  it('a failed-auth detection whose user names carry injection strings reaches Slack and Teams inert', async () => {
    const detection = detectionById('failed-api-auth');
    if (detection === undefined) throw new Error('no failed-api-auth detection');
    const cluster = compliantCluster({ name: 'web-dev' });
    // What an anonymous caller controls in AKSAudit: the user name it claims. The detail shows five
    // examples per column, so each user name carries several of the strings.
    const users = [0, 1, 2, 3, 4].map((user) =>
      HOSTILE.filter((_entry, index) => index % 5 === user && index < 32)
        .map(([, text]) => text)
        .join(' '),
    );
    const rows = users.map((user, index) => ({ _ResourceId: cluster.id, User: user, SourceIp: `203.0.113.${index}`, Failures: 5 }));
    const [finding] = evaluateDetection(detection, rows, [cluster], { lookbackMinutes: 60, threshold: detection.threshold });
    if (finding === undefined) throw new Error('the detection did not fire');
    expect(finding.detail).toContain('[Re-authenticate your cluster](https://evil.example/login)');

    const config = parseAlertingDocument(
      routingDocument(`
- { name: chat, receiver: slack, continue: true }
- { name: cards, receiver: teams }
`),
      'test',
      SECRETS,
    );
    const store = new AlertStore(azuriteTable(uniqueTableName('alerttext')));
    await store.ensureTable();
    const now = new Date('2026-11-20T12:00:00.000Z');
    await new AlertPipeline(config, store).enqueue(
      [{ kind: 'opened', previous: undefined, next: storedFinding({ ...finding, cluster: finding.clusterName }) }],
      now,
    );
    const result = await drainOutbox(store, config, httpsPost, {
      ...DEFAULT_DRAIN_OPTIONS,
      now: () => now,
      random: () => 0.5,
      endpointOverride: sink.url,
      caPem: sink.caPem,
    });
    expect(result).toMatchObject({ sent: 2, failed: 0 });

    const captured = (kind: string) => sink.deliveries.filter((delivery) => delivery.kind === kind).map((delivery) => delivery.body);
    expect(captured('slack')).toHaveLength(1);
    expect(captured('teams')).toHaveLength(1);
    expect(captured('slack').flatMap(slackLive)).toEqual([]);
    expect(captured('teams').flatMap(teamsLive)).toEqual([]);
    // The evidence is still there for the reader, defanged.
    expect(JSON.stringify(captured('teams'))).toContain('[Re-authenticate your cluster](hxxps[:]//evil[.]example/login)');
  });
});
