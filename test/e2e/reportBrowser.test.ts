/**
 * The fleet report in a real browser: headless Chromium (Debian package) via playwright-core. The
 * page comes from `fleetguard report --demo`, so every section has real data behind it.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { chromiumExecutable } from '../harness/chromium.js';
import { runCli } from '../harness/cli.js';
import { projectRoot } from '../harness/fixtures.js';

const resultsDirectory = path.join(projectRoot, 'test-results');
const reportFile = path.join(resultsDirectory, 'fleet-report.html');
const SECTIONS = [
  'At a glance',
  'Fleet posture heatmap',
  'By framework: CIS Azure Kubernetes Service (AKS) Benchmark v1.8.0',
  'Compliance over time',
  'Open findings',
  'Version spread',
  'Rollouts',
];

describe('fleet report in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(resultsDirectory, { recursive: true });
    const run = await runCli(['report', '--demo', '--out', reportFile]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/Wrote .*fleet-report\.html: 7 clusters, \d+ open findings, 2 sweeps, 1 rollouts/);
    browser = await chromium.launch({ executablePath: chromiumExecutable(), args: ['--no-sandbox'] });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('renders every section with no console errors and no outside request; sorting and filtering work', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    const outside: string[] = [];
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('request', (request) => !request.url().startsWith('file:') && outside.push(request.url()));
    await page.goto(pathToFileURL(reportFile).href);

    expect(await page.locator('section h2').allTextContents()).toEqual(SECTIONS);
    expect(await page.locator('#posture tbody tr').count()).toBe(7);
    // The demo fleet's in-cluster findings are in the heatmap's in-cluster group; clusters not read are grey.
    expect(await page.locator('#posture th.in-cluster').textContent()).toBe('Inside the cluster (Kubernetes API)');
    expect(await page.locator('#posture td[title="payments-prod · K8S-CLUSTER-ADMIN-BINDING: high"]').count()).toBe(1);
    expect(await page.locator('#posture td[title="web-dev · K8S-PRIVILEGED-POD: high"]').count()).toBe(1);
    expect(await page.locator('#posture td[title="checkout-prod · K8S-PRIVILEGED-POD: not read (unreachable)"]').count()).toBe(1);
    expect(await page.locator('#framework tr[data-item="4.1.1"] td:nth-child(4)').textContent()).toBe('payments-prod: 1');
    const rows = page.locator('#findings-table tbody tr');
    const total = await rows.count();
    expect(total).toBeGreaterThan(20);
    await expect.poll(() => page.locator('#versions svg[role=img]').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#rollouts .halt').textContent()).toMatch(/HALT web-dev: health gate failed: crashloop rose/);

    await page.locator('#findings-filter').fill('web-dev');
    const visible = await page.locator('#findings-table tbody tr:not([hidden])').count();
    expect(visible).toBeGreaterThan(0);
    expect(visible).toBeLessThan(total);
    for (const text of await page.locator('#findings-table tbody tr:not([hidden]) td:nth-child(2)').allTextContents()) expect(text).toBe('web-dev');
    await page.locator('#findings-filter').fill('');

    await page.locator('#findings-table th', { hasText: 'Cluster' }).click();
    const clusters = await page.locator('#findings-table tbody tr td:nth-child(2)').allTextContents();
    expect(clusters).toEqual([...clusters].sort((left, right) => left.localeCompare(right, undefined, { numeric: true })));

    await page.screenshot({ path: path.join(resultsDirectory, 'fleet-report.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  });

  it('reads the same with JavaScript disabled: every section and every finding, pre-sorted', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(pathToFileURL(reportFile).href);
    expect(await page.locator('section h2').allTextContents()).toEqual(SECTIONS);
    expect(await page.locator('#findings-filter').isVisible()).toBe(false);
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
