/**
 * The fleet report in a real browser: headless Chromium (Debian package) via playwright-core, one
 * launch for the file. Three pages: `fleetguard report --demo` (the state `sweep --demo` ends in),
 * `fleetguard report --snapshot` of the sample fleet, and a fleet of long names and ARM paths. Each
 * is checked at 1,400 and 800 px for sideways scrolling (`scrollWidth`, issue 17), and every section
 * of the demo page is photographed at both widths into test-results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type FleetReportModel, renderFleetReport } from '../../lib/report/fleetReport.js';
import type { ClusterRecord } from '../../lib/sweep/sweepRecordStore.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { storedFinding } from '../harness/alerts.js';
import { chromiumExecutable } from '../harness/chromium.js';
import { runCliInProcess } from '../harness/cli.js';
import { projectRoot } from '../harness/fixtures.js';

const resultsDirectory = path.join(projectRoot, 'test-results');
const files = {
  demo: path.join(resultsDirectory, 'fleet-report.html'),
  snapshot: path.join(resultsDirectory, 'fleet-report-snapshot.html'),
  long: path.join(resultsDirectory, 'fleet-report-long-names.html'),
};
const WIDTHS = [1400, 800] as const;
const MAX_SHOT_HEIGHT = 1500;
const SECTIONS = [
  'At a glance',
  'Scores by practice',
  'Since the previous sweep',
  'Fleet posture heatmap',
  'Open findings',
  'Compliance over time',
  'By framework: CIS Azure Kubernetes Service (AKS) Benchmark v1.8.0',
  'Version spread',
  'Rollouts',
];

/** A fleet whose names, resource groups and advice are as long as Azure allows them to get. */
function longNamesModel(): FleetReportModel {
  const sub = '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';
  const clusters: ClusterRecord[] = Array.from({ length: 12 }, (_, index) => {
    const name = `payments-westeurope-production-blue-green-canary-${String(index).padStart(2, '0')}`;
    return {
      resourceId: `/subscriptions/${sub}/resourceGroups/rg-platform-engineering-shared-services-westeurope-production-${index}/providers/Microsoft.ContainerService/managedClusters/${name}`,
      name,
      subscriptionId: sub,
      location: 'westeurope',
      kubernetesVersion: '1.31.2',
      tags: { 'cost-center-with-a-rather-long-key': 'platform-engineering-shared-services', ring: String(index % 3) },
      findings: 2,
      worstSeverity: 'high',
      policyCompliancePercent: 50,
    };
  });
  const openFindings = clusters.flatMap((cluster) => [
    storedFinding({
      cluster: cluster.name,
      resourceId: cluster.resourceId,
      ruleId: 'POLICY-NONCOMPLIANT',
      subject: '/providers/microsoft.authorization/policydefinitions/kubernetes-cluster-containers-should-only-use-allowed-images-0123456789',
      detail: `Cluster ${cluster.name} is non-compliant with ${cluster.resourceId}/providers/Microsoft.Authorization/policyAssignments/aks-baseline-initiative-assignment-westeurope. See why: az policy state list --resource ${cluster.resourceId} --filter 'policyDefinitionId eq '\\''/providers/Microsoft.Authorization/policyDefinitions/kubernetes-cluster-containers-should-only-use-allowed-images'\\'''; fix the resource.`,
      clusterTags: cluster.tags,
    }),
    storedFinding({ cluster: cluster.name, resourceId: cluster.resourceId, ruleId: 'AKS-LOCAL-ACCOUNTS', clusterTags: cluster.tags }),
  ]);
  const sweep = (startedAt: string) => ({
    sweepId: startedAt,
    startedAt,
    endedAt: startedAt,
    status: 'succeeded',
    trigger: 'timer',
    subscriptions: 1,
    subscriptionsFailed: 0,
    clusters: clusters.length,
    findings: openFindings.length,
    opened: 0,
    resolved: 0,
    policyCompliancePercent: 50,
    alertsQueued: 0,
    alertsSilenced: 0,
    alertsInhibited: 0,
    errors: '[]',
  });
  return {
    generatedAt: '2026-11-30T12:00:00.000Z',
    clusters,
    openFindings,
    resolvedFindings: [],
    sweeps: [sweep('2026-11-30T11:45:00.000Z'), sweep('2026-11-29T11:45:00.000Z')],
    rollouts: [],
    problems: [],
  };
}

/** One attribute of every element the locator matches. */
async function attributeOf(locator: Locator, name: string): Promise<Array<string | null>> {
  return Promise.all((await locator.all()).map((element) => element.getAttribute(name)));
}

async function overflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  // Evaluated as a string: the project's types have no DOM.
  return page.evaluate<{ scrollWidth: number; innerWidth: number }>('({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })');
}

describe('fleet report in headless Chromium', () => {
  let browser: Browser;
  const figures: string[] = [];

  beforeAll(async () => {
    mkdirSync(resultsDirectory, { recursive: true });
    const demo = await runCliInProcess(['report', '--demo', '--out', files.demo]);
    expect(demo.stderr).toBe('');
    expect(demo.stdout).toMatch(/Wrote .*fleet-report\.html: 6 clusters, \d+ open findings \(\d+ resolved since the previous sweep\), 2 sweeps, 1 rollouts/);
    const snapshot = await runCliInProcess(['report', '--snapshot', sampleFleetDirectory(), '--out', files.snapshot]);
    expect(snapshot.stderr).toBe('');
    expect(snapshot.stdout).toMatch(
      /Wrote .*fleet-report-snapshot\.html: 7 clusters, \d+ open findings \(0 resolved since the previous sweep\), 1 sweeps, 0 rollouts/,
    );
    expect(snapshot.status).toBe(0);
    writeFileSync(files.long, renderFleetReport(longNamesModel()));
    browser = await chromium.launch({ executablePath: chromiumExecutable(), args: ['--no-sandbox'] });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    if (figures.length > 0) console.log(`scrollWidth / innerWidth:\n${figures.join('\n')}`);
  });

  it('never scrolls sideways at 1,400 or 800 px: demo, snapshot and long ARM paths', async () => {
    for (const [name, file] of Object.entries(files)) {
      for (const width of WIDTHS) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        await page.goto(pathToFileURL(file).href);
        const measured = await overflow(page);
        figures.push(`${name} @${width}: ${measured.scrollWidth} / ${measured.innerWidth}`);
        expect([name, width, measured.scrollWidth <= measured.innerWidth]).toEqual([name, width, true]);
        await page.close();
      }
    }
  });

  it('shows the state sweep --demo ends in, links heatmap cells to their findings, filters by subscription, tag and severity; no console error, no outside request', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    const outside: string[] = [];
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('request', (request) => !request.url().startsWith('file:') && outside.push(request.url()));
    await page.goto(pathToFileURL(files.demo).href);
    expect(await page.locator('main > section h2').allTextContents()).toEqual(SECTIONS);

    // The demo's end state: legacy-reporting decommissioned, web-dev fixed, checkout-prod told its support ends.
    const clusters = await page.locator('#heatmap th.cluster').allTextContents();
    expect(clusters).toHaveLength(6);
    expect(clusters).not.toContain('legacy-reporting');
    expect(await page.locator('#heatmap td[title="checkout-prod · AKS-SUPPORT-ENDING: high"]').count()).toBe(1);
    expect(await page.locator('#heatmap td[title="web-dev · AKS-NETWORK-POLICY: no open finding"]').count()).toBe(1);
    expect(await page.locator('#resolved-findings + table').innerText()).toMatch(/legacy-reporting[^\n]*cluster gone/);
    expect(await page.locator('#resolved-findings + table').innerText()).toMatch(/web-dev\s+Local Kubernetes accounts are enabled/);
    expect(await page.locator('#rollouts .halt').textContent()).toMatch(/HALT web-dev: health gate failed: crashloop rose/);
    expect(await page.locator('#heatmap td[title="payments-prod · K8S-CLUSTER-ADMIN-BINDING: high"]').count()).toBe(1);
    expect(await page.locator('#heatmap td[title="checkout-prod · K8S-PRIVILEGED-POD: not read (unreachable)"]').count()).toBe(1);

    // A heatmap cell takes the reader to its finding.
    await page.locator('#heatmap td[title="payments-prod · K8S-CLUSTER-ADMIN-BINDING: high"] a').click();
    const target = page.locator('#findings-table tr:target');
    expect(await target.count()).toBe(1);
    expect(await target.innerText()).toMatch(/payments-prod[\s\S]*cluster-admin is bound by hand/);
    expect(await target.locator('code.cmd').first().textContent()).toMatch(/^az aks get-credentials /);
    expect(await target.locator('a.portal').getAttribute('href')).toMatch(
      /^https:\/\/portal\.azure\.com\/#@\/resource\/subscriptions\/.*\/managedClusters\/payments-prod$/,
    );

    // Filters.
    const rows = page.locator('#findings-table tbody tr');
    const shown = page.locator('#findings-table tbody tr:not([hidden])');
    const total = await rows.count();
    await page.locator('#filter-sev').selectOption('high');
    const severe = await attributeOf(shown, 'data-sev');
    expect(severe.length).toBeGreaterThan(0);
    expect(severe.length).toBeLessThan(total);
    expect(new Set(severe)).toEqual(new Set(['critical', 'high']));
    expect(await page.locator('#filter-count').textContent()).toBe(`${severe.length} of ${total} open findings shown`);
    await page.locator('#filter-sev').selectOption('');
    await page.locator('#filter-sub').selectOption('22222222-2222-2222-2222-222222222222');
    expect(new Set(await attributeOf(shown, 'data-sub'))).toEqual(new Set(['22222222-2222-2222-2222-222222222222']));
    const visibleClusters = await page.locator('#heatmap th.cluster:not([hidden])').allTextContents();
    expect(visibleClusters.length).toBeGreaterThan(0);
    expect(visibleClusters.length).toBeLessThan(6);
    await page.locator('#filter-sub').selectOption('');
    await page.locator('#filter-tag').selectOption('ring=0');
    const ringZero = (await attributeOf(shown, 'data-tags')).map((value) => value ?? '');
    expect(ringZero.length).toBeGreaterThan(0);
    for (const tags of ringZero) expect(tags.split('\n')).toContain('ring=0');
    await page.locator('#filter-tag').selectOption('');
    expect(await shown.count()).toBe(total);

    await page.locator('#findings-table th', { hasText: 'Cluster' }).click();
    const names = await page.locator('#findings-table tbody tr td:nth-child(2)').allTextContents();
    expect(names).toEqual([...names].sort((left, right) => left.localeCompare(right, undefined, { numeric: true })));
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  });

  it('photographs every section at both widths into test-results/', async () => {
    for (const width of WIDTHS) {
      // A viewport as tall as a photograph: each section is scrolled to its top and clipped, the top of a long one
      // (the findings run to thousands of pixels) being enough to look at and far cheaper than a full-page capture.
      const page = await browser.newPage({ viewport: { width, height: MAX_SHOT_HEIGHT } });
      await page.goto(pathToFileURL(files.demo).href);
      // The sticky filter bar would float over the shots; pin it for the photographs.
      await page.addStyleTag({ content: '#filters{position:static}' });
      for (const id of ['summary', 'filters', 'scores', 'changes', 'posture', 'findings', 'compliance', 'framework', 'versions', 'rollouts']) {
        await page.evaluate(`document.getElementById(${JSON.stringify(id)}).scrollIntoView()`);
        const box = await page.locator(`#${id}`).boundingBox();
        if (box === null) throw new Error(`section #${id} is not displayed`);
        const clip = { x: box.x, y: box.y, width: box.width, height: Math.min(box.height, MAX_SHOT_HEIGHT - box.y) };
        await page.screenshot({ path: path.join(resultsDirectory, `report-${id}-${width}.png`), clip });
      }
      await page.close();
    }
  }, 120_000);

  it('reads the same with JavaScript disabled: every section and every finding, pre-sorted, no filter bar', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(pathToFileURL(files.demo).href);
    expect(await page.locator('main > section h2').allTextContents()).toEqual(SECTIONS);
    expect(await page.locator('#filters').isVisible()).toBe(false);
    expect(await page.locator('#findings noscript').count()).toBe(1);
    const severities = await page.locator('#findings-table tbody tr td:first-child').allTextContents();
    expect(severities.length).toBeGreaterThan(20);
    const order = ['critical', 'high', 'medium', 'low', 'info'];
    expect(severities.map((severity) => order.indexOf(severity))).toEqual(
      [...severities.map((severity) => order.indexOf(severity))].sort((left, right) => left - right),
    );
    await page.screenshot({ path: path.join(resultsDirectory, 'fleet-report-no-js.png') });
    await context.close();
  });
});
