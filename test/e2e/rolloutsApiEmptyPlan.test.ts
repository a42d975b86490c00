/**
 * `POST /api/rollouts` for a plan that would upgrade nothing (issue 12 point 3, CONTRACTS.md §4's
 * rule for rehearsals applied to the API): 422 with one line and each cluster's reason, nothing
 * started, unless `allowEmpty`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodePrincipal } from '../../lib/auth/principal.js';
import { type AppHost, startAppHost } from '../harness/appHost.js';

const manager = encodePrincipal({ name: 'max@contoso.com', roles: ['Rollouts.Manage'] });
// 1.32.4 is offered in westeurope only: its clusters are already there, the northeurope ones cannot get it.
const EMPTY = { target: '1.32.4', waves: { byTag: 'ring' }, waveSettings: { maxParallel: 2, soakMinutes: 10, requireApproval: false } };

describe('rollouts HTTP API: a plan that upgrades nothing', () => {
  let app: AppHost;
  const create = (body: unknown) =>
    app.host.invokeHttp('rolloutsCreate', {
      method: 'POST',
      path: '/api/rollouts',
      headers: { 'x-ms-client-principal': manager },
      params: {},
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    app = await startAppHost();
  });
  afterAll(() => app.close());

  it('is 422 with one line and every reason, for a dry run and a start alike; nothing starts', async () => {
    for (const dryRun of [true, false]) {
      const response = await create({ ...EMPTY, dryRun });
      expect(response.status).toBe(422);
      const body = response.body as { error: string; reasons: Array<{ resourceId: string; kind: string; reason: string }>; plan: { waves: unknown[] } };
      expect(body.error).toBe(
        'nothing to upgrade to 1.32.4: 5 clusters excluded, 2 skipped (batch-staging, checkout-prod, payments-prod and 1 more excluded: Kubernetes 1.32.4 is not offered in northeurope; ' +
          'legacy-reporting excluded: provisioningState is Failed, not Succeeded; data-canary, search-prod skipped: already at 1.32.4); set allowEmpty to plan or start it anyway',
      );
      expect(body.reasons.map((entry) => [entry.resourceId.split('/').at(-1), entry.kind]).sort()).toEqual([
        ['batch-staging', 'excluded'],
        ['checkout-prod', 'excluded'],
        ['data-canary', 'skipped'],
        ['legacy-reporting', 'excluded'],
        ['payments-prod', 'excluded'],
        ['search-prod', 'skipped'],
        ['web-dev', 'excluded'],
      ]);
      expect(body.plan.waves).toHaveLength(3);
    }
    // A tag no cluster carries is the same: every cluster excluded for it.
    const untagged = await create({ ...EMPTY, target: '1.32', waves: { byTag: 'nosuchtag' }, dryRun: true });
    expect(untagged.status).toBe(422);
    expect((untagged.body as { error: string }).error).toMatch(
      /^nothing to upgrade to 1\.32: 7 clusters excluded, 0 skipped \(batch-staging, checkout-prod, data-canary and 4 more excluded: no nosuchtag tag\)/,
    );
    expect(app.durable.listInstances()).toEqual([]);
  });

  it('allowEmpty plans it (200) or starts it (202) anyway', async () => {
    const dry = await create({ ...EMPTY, dryRun: true, allowEmpty: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, plan: { target: '1.32.4' } });
    const started = await create({ ...EMPTY, allowEmpty: true });
    expect(started.status).toBe(202);
    await app.durable.run();
    expect(app.durable.getStatus((started.body as { id: string }).id)).toMatchObject({ runtimeStatus: 'Completed', output: { status: 'Completed' } });
  });
});
