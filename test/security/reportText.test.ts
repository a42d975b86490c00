/**
 * Injection strings in the fleet report (issue 14, security suite): cluster names, finding text,
 * evidence, guidance URLs, rollout reasons and problems all come from stores that fleet data
 * reaches. The page must keep its own structure whatever they hold: no element, attribute or
 * script from data, and no link but our guidance links (a `javascript:` href would run under the
 * page's `script-src 'unsafe-inline'`). Checked twice: structurally (the tag skeleton of a hostile
 * render equals that of a benign one, for many generated strings) and in a real HTML parser
 * (headless Chromium: no dialog, one script, every href one of ours).
 */
import fc from 'fast-check';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';

import type { StoredFinding } from '../../lib/findings/lifecycle.js';
import { type FleetReportModel, renderFleetReport } from '../../lib/report/fleetReport.js';
import type { ClusterRecord } from '../../lib/sweep/sweepRecordStore.js';
import { storedFinding } from '../harness/alerts.js';
import { chromiumExecutable } from '../harness/chromium.js';
import { HOSTILE, HOSTILE_DOC_URLS } from './hostileStrings.js';

const SUB = '11111111-1111-1111-1111-111111111111';
const GUIDANCE = 'https://learn.microsoft.com/azure/aks/concepts-security';
/** Our guidance, the Azure portal (an encoded resource id: no space, quote or bracket survives), and anchors within the page. */
const ALLOWED_HREF =
  /^(https:\/\/learn\.microsoft\.com\/[^\s"'<>]*|https:\/\/portal\.azure\.com\/#@\/resource\/[^\s"'<>]*|#(finding-[0-9a-f]{64}|practice-[a-z-]+|new-findings|resolved-findings))$/;

/** A report whose every fleet value is `text` (the finding's docUrl is `docUrl`). */
function hostileModel(text: string, docUrl = GUIDANCE): FleetReportModel {
  const resourceId = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${text}`;
  const cluster: ClusterRecord = {
    resourceId,
    name: text,
    subscriptionId: SUB,
    location: 'westeurope',
    kubernetesVersion: text,
    tags: { [text]: text },
    findings: 1,
    worstSeverity: 'high',
    policyCompliancePercent: 50,
  };
  const finding: StoredFinding = storedFinding({
    cluster: text,
    resourceId,
    ruleId: 'AKS-LOCAL-ACCOUNTS',
    title: text,
    detail: `Evidence: ${text}`,
    docUrl,
    firstSeen: `2026-11-20T10:00:00.000Z${text}`,
  });
  return {
    generatedAt: '2026-11-23T12:00:00.000Z',
    clusters: [cluster],
    openFindings: [finding, { ...finding, ruleId: text }],
    sweeps: [
      {
        sweepId: 's1',
        startedAt: `2026-11-23T11:45:00.000Z${text}`,
        endedAt: '2026-11-23T11:46:00.000Z',
        status: text,
        trigger: 'timer',
        subscriptions: 1,
        subscriptionsFailed: 0,
        clusters: 1,
        findings: 2,
        opened: 0,
        resolved: 0,
        policyCompliancePercent: 50,
        alertsQueued: 0,
        alertsSilenced: 0,
        alertsInhibited: 0,
        errors: '[]',
      },
    ],
    rollouts: [
      {
        rolloutId: text,
        target: text,
        status: 'Halted',
        requestedBy: text,
        createdAt: text,
        clusters: [
          { resourceId, wave: text, status: 'Failed', fromVersion: text, toVersion: text, reason: text },
          { resourceId: `${resourceId}-2`, wave: text, status: text, fromVersion: text, toVersion: text, reason: text },
        ],
      },
    ],
    problems: [text],
  };
}

/** The page's element structure: tag names and attribute names, in order (values and text dropped). */
function skeleton(html: string): string[] {
  return [...html.matchAll(/<(\/?[a-z][a-z0-9]*)((?:\s+[a-z-]+(?:="[^"]*")?)*)\s*\/?>/gi)].map(
    ([, tag, attributes]) => `${tag}${[...(attributes ?? '').matchAll(/\s+([a-z-]+)(?:="[^"]*")?/gi)].map(([, name]) => ` ${name}`).join('')}`,
  );
}

function hrefs(html: string): string[] {
  return [...html.matchAll(/\shref="([^"]*)"/g)].map(([, value]) => (value ?? '').replace(/&amp;/g, '&'));
}

const BENIGN = skeleton(renderFleetReport(hostileModel('web-dev')));

describe('fleet report: injection strings stay text', () => {
  it('every hostile string, in every fleet value, leaves the page structure as a benign name does; the only link is ours', () => {
    for (const [name, text] of HOSTILE) {
      const html = renderFleetReport(hostileModel(text));
      const got = skeleton(html);
      const at = got.findIndex((tag, index) => tag !== BENIGN[index]);
      expect([name, at, got.slice(at - 3, at + 3)]).toEqual([name, -1, BENIGN.slice(at - 3, at + 3)]);
      expect([name, hrefs(html).every((href) => ALLOWED_HREF.test(href))]).toEqual([name, true]);
      expect([name, html.split('</script').length - 1]).toEqual([name, 1]);
    }
  });

  it('a docUrl that is not ours is shown as text, never as a link', () => {
    const benignOther = skeleton(renderFleetReport(hostileModel('web-dev', 'https://evil.example/login')));
    for (const docUrl of HOSTILE_DOC_URLS) {
      const html = renderFleetReport(hostileModel('web-dev', docUrl));
      // The portal links and the in-page anchors are ours; nothing else is a link.
      expect([docUrl, hrefs(html).filter((href) => !/^(https:\/\/portal\.azure\.com\/#@\/resource\/|#)/.test(href))]).toEqual([docUrl, []]);
      expect([docUrl, skeleton(html)]).toEqual([docUrl, benignOther]);
    }
  });

  it('property: generated strings never change the page structure', () => {
    const fragment = fc.oneof(
      fc.constantFrom(...HOSTILE.filter(([name]) => !name.startsWith('long')).map(([, text]) => text)),
      fc.constantFrom('<', '>', '"', "'", '&', '</', '<!--', ']]>', '`', '=', ' on', 'javascript:'),
      fc.string({ unit: 'grapheme', maxLength: 10 }),
    );
    fc.assert(
      fc.property(fc.array(fragment, { minLength: 1, maxLength: 6 }), (parts) => {
        const html = renderFleetReport(hostileModel(parts.join('')));
        expect(skeleton(html)).toEqual(BENIGN);
        expect(hrefs(html).every((href) => ALLOWED_HREF.test(href))).toBe(true);
      }),
      { numRuns: 60, seed: 14 },
    );
  });

  it('in Chromium: no script from data runs, one script element, every link ours', async () => {
    const text = HOSTILE.filter(([name]) => !name.startsWith('long'))
      .map(([, value]) => value)
      .join(' ');
    const html = renderFleetReport(hostileModel(text, 'javascript:alert(1)'));
    const browser = await chromium.launch({ executablePath: chromiumExecutable(), args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      await page.setContent(html);
      // Evaluated in the page as a string: the project's types have no DOM, and a test should not add it to every file.
      const seen = await page.evaluate<{ scripts: number; planted: number; handlers: number; hrefs: string[] }>(`({
        scripts: document.querySelectorAll('script').length,
        planted: document.querySelectorAll('img, at').length + Array.from(document.querySelectorAll('a, b')).filter((element) => element.textContent === 'PWN').length,
        handlers: Array.from(document.querySelectorAll('*')).filter((element) => Array.from(element.attributes).some((attribute) => attribute.name.startsWith('on'))).length,
        hrefs: Array.from(document.querySelectorAll('[href]')).map((element) => element.getAttribute('href') ?? ''),
      })`);
      expect(dialogs).toEqual([]);
      expect(seen).toMatchObject({ scripts: 1, planted: 0, handlers: 0 });
      expect(seen.hrefs.every((href) => ALLOWED_HREF.test(href))).toBe(true);
      // The finding's evidence is on the page as text.
      expect(await page.locator('#findings-table').innerText()).toContain('[Re-authenticate your cluster](https://evil.example/login)');
    } finally {
      await browser.close();
    }
  }, 60_000);
});
