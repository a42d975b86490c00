import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { rolloutStatusSchema } from '../../../lib/cli/rolloutsClient.js';
import { startRequest, statusView, WATCH_EXIT_CODES } from '../../../lib/cli/rolloutsCommand.js';

describe('fleetguard rollouts start: the request', () => {
  it('flags build the POST /api/rollouts body; a plan file is the base and flags override it', () => {
    expect(startRequest({ target: '1.32', wavesByTag: 'ring', maxParallel: 3, approveWave: ['2'], requireDistinctApprover: false, dryRun: true })).toEqual({
      target: '1.32',
      waves: { byTag: 'ring' },
      waveSettings: { maxParallel: 3, soakMinutes: 30, requireApproval: false },
      waveOverrides: { '2': { requireApproval: true } },
      requireDistinctApprover: false,
      dryRun: true,
    });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'fg-plan-')), 'plan.json');
    writeFileSync(
      file,
      JSON.stringify({
        target: '1.31',
        waves: { explicit: [['a']] },
        waveSettings: { maxParallel: 1, soakMinutes: 5, requireApproval: true },
        waveOverrides: { '0': { soakMinutes: 1 } },
      }),
    );
    expect(startRequest({ plan: file, target: '1.32', soakMinutes: 20, approveWave: ['0'] })).toEqual({
      target: '1.32',
      waves: { explicit: [['a']] },
      waveSettings: { maxParallel: 1, soakMinutes: 20, requireApproval: true },
      waveOverrides: { '0': { soakMinutes: 1, requireApproval: true } },
    });
  });

  it('names what is missing or unreadable', () => {
    expect(() => startRequest({ wavesByTag: 'ring' })).toThrow('--target (or "target" in --plan) is required');
    expect(() => startRequest({ target: '1.32' })).toThrow('--waves-by-tag (or "waves" in --plan) is required');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'fg-plan-')), 'plan.json');
    writeFileSync(file, '[1]');
    expect(() => startRequest({ plan: file })).toThrow(/must hold a JSON object/);
  });
});

describe('fleetguard rollouts status: the view', () => {
  it('a halted, running rollout: its state and reason, wave counts, clusters from the history, actions with their principals', () => {
    const status = rolloutStatusSchema.parse({
      id: '00000000-0000-0000-0000-000000000001',
      runtimeStatus: 'Running',
      customStatus: {
        status: 'Halted',
        haltReason: 'wave 1: b: health gate failed: crashloop rose',
        waves: [{ name: '1', status: 'Halted', upgraded: 1, total: 1 }],
      },
      clusters: [
        {
          resourceId: '/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/b',
          wave: '1',
          status: 'Upgraded',
          fromVersion: '1.31.3',
          toVersion: '1.32.3',
          reason: 'health gate failed: crashloop rose',
        },
      ],
      actions: [{ action: 'start', by: 'max', byObjectId: 'o1', byAppId: 'a1', at: '2026-01-01T00:00:00Z' }],
    });
    const lines = statusView(status);
    expect(lines[0]).toBe('Rollout 00000000-0000-0000-0000-000000000001: Halted (wave 1: b: health gate failed: crashloop rose)');
    expect(lines.join('\n')).toContain('│ 1    │ b       │ Upgraded │ 1.31.3 → 1.32.3 │ health gate failed: crashloop rose');
    expect(lines.at(-1)).toBe('  2026-01-01T00:00:00Z start by max (oid o1, app a1)');
  });

  it('a retry names the rollout it retries; a retried rollout lists its retries with the clusters each re-runs', () => {
    const base = { runtimeStatus: 'Completed', output: { status: 'Halted', haltReason: 'wave 0: a: gave up', waves: [], excluded: [] } };
    expect(statusView(rolloutStatusSchema.parse({ ...base, id: 'r2', retryOf: 'r1' })).at(-1)).toBe('  retries rollout r1');
    const retried = rolloutStatusSchema.parse({
      ...base,
      id: 'r1',
      retries: [
        {
          id: 'r2',
          by: 'max',
          at: '2026-01-01T00:00:00Z',
          clusters: [
            `/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/a`,
            '/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/b',
          ],
        },
      ],
    });
    expect(statusView(retried).at(-1)).toBe('  retried as rollout r2 by max: a, b');
    // An app without retries answers without the fields: nothing changes.
    expect(statusView(rolloutStatusSchema.parse({ ...base, id: 'r0' }))).toEqual(['Rollout r0: Halted (wave 0: a: gave up)']);
  });

  it('exit codes are distinct per outcome, 0 only for Completed, none colliding with 1 (refused) or 2 (bad input)', () => {
    const codes = Object.values(WATCH_EXIT_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    expect(WATCH_EXIT_CODES.Completed).toBe(0);
    for (const code of codes) expect([1, 2]).not.toContain(code);
  });
});
