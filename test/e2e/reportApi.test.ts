import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodePrincipal } from '../../lib/auth/principal.js';
import { REPORT_CONTENT_SECURITY_POLICY } from '../../lib/report/reportEndpoint.js';
import { type AppHost, startAppHost } from '../harness/appHost.js';
import { uniqueTableName } from '../harness/tables.js';

describe('GET /api/report, invoked as the host invokes it', () => {
  let app: AppHost;
  beforeAll(async () => {
    app = await startAppHost({ FLEETGUARD_FINDINGS_TABLE: uniqueTableName('rfind'), FLEETGUARD_SWEEPS_TABLE: uniqueTableName('rsweeps') });
  });
  afterAll(() => app.close());

  it('serves the report of what the timer sweep stored, with headers that keep it self-contained and uncached', async () => {
    const reader = encodePrincipal({ name: 'rita@contoso.com', roles: ['Alerts.Read'] });
    const before = await app.host.invokeHttp('report', { method: 'GET', path: '/api/report', headers: { 'x-ms-client-principal': reader } });
    expect(before.status).toBe(200);
    // No sweep yet: the page says so and names the storage (issue 17), rather than "no open findings".
    expect(before.body).toMatch(/No sweep has run yet against Table storage http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1/);
    expect(before.body).not.toMatch(/Incomplete report|No open findings/);

    await app.host.invokeTimer('fleetSweep');
    const response = await app.host.invokeHttp('report', { method: 'GET', path: '/api/report', headers: { 'x-ms-client-principal': reader } });
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': REPORT_CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    const html = response.body as string;
    expect(html.match(/<th scope="col" class="cluster"/g)?.length).toBeGreaterThanOrEqual(7);
    expect(html).toContain('checkout-prod');
    expect(html).not.toContain('Incomplete report');
  });
});
