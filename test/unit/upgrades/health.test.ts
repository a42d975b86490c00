/**
 * The health gate's arithmetic (lib/upgrades/health.ts), without a rollout: these decide whether a
 * rollout halts, so each threshold and each inconclusive path is pinned here (found by the StrykerJS
 * run over lib/upgrades, docs/mutation-testing.md). The logs reader is a stand-in for the Log
 * Analytics adapter, which test/integration/logAnalytics.test.ts covers against the simulator.
 */
import { describe, expect, it } from 'vitest';

import type { LogsQueryOutcome } from '../../../lib/model/logsQuery.js';
import { healthDegraded, healthDetections, measureHealth, STRICT_SIGNALS } from '../../../lib/upgrades/health.js';

const CLUSTER = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-1';
const OTHER = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-2';

describe('healthDegraded', () => {
  it('a strict signal fails on any rise, and not when it stays', () => {
    for (const signal of Object.values(STRICT_SIGNALS)) {
      expect(healthDegraded({ [signal]: 2 }, { [signal]: 3 }), signal).toBe(`${signal} rose from 2 to 3`);
      expect(healthDegraded({ [signal]: 2 }, { [signal]: 2 }), signal).toBeUndefined();
      expect(healthDegraded({}, { [signal]: 1 }), signal).toBe(`${signal} rose from 0 to 1`);
    }
  });

  it('a detection fails only above twice its baseline and more than 5 over it', () => {
    expect(healthDegraded({ crashloop: 0 }, { crashloop: 5 })).toBeUndefined();
    expect(healthDegraded({ crashloop: 0 }, { crashloop: 6 })).toBe('crashloop rose from 0 to 6');
    expect(healthDegraded({ crashloop: 10 }, { crashloop: 20 })).toBeUndefined();
    expect(healthDegraded({ crashloop: 10 }, { crashloop: 21 })).toBe('crashloop rose from 10 to 21');
    expect(healthDegraded({ crashloop: 2 }, { crashloop: 7 })).toBeUndefined();
    expect(healthDegraded({ crashloop: 2 }, { crashloop: 8 })).toBe('crashloop rose from 2 to 8');
    // A missing baseline is 0; the first failing signal is named.
    expect(healthDegraded({}, { 'node-not-ready': 1, crashloop: 50 })).toBe('crashloop rose from 0 to 50');
  });
});

function reader(answer: (workspace: string, query: string, minutes: number) => LogsQueryOutcome | Error) {
  const calls: Array<{ workspace: string; query: string; minutes: number }> = [];
  return {
    calls,
    query: (workspace: string, query: string, minutes: number): Promise<LogsQueryOutcome> => {
      calls.push({ workspace, query, minutes });
      const outcome = answer(workspace, query, minutes);
      return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
    },
  };
}

const detectionOf = (query: string) => healthDetections().find((detection) => query.includes(detection.id));

describe('measureHealth', () => {
  it('sums each detection over every workspace, for this cluster only (ids compared case-insensitively)', async () => {
    const logs = reader((workspace, query) => {
      const detection = detectionOf(query)!;
      return {
        rows: [
          { _ResourceId: CLUSTER.toUpperCase(), [detection.measure]: workspace === 'w1' ? 2 : 3 },
          { _ResourceId: OTHER, [detection.measure]: 100 },
          { _ResourceId: 42, [detection.measure]: 100 },
        ],
        partialError: undefined,
      };
    });
    const sample = await measureHealth(logs, CLUSTER, ['w1', 'w2'], 30.4);
    expect(sample).toEqual({ kind: 'measured', counts: Object.fromEntries(healthDetections().map((detection) => [detection.id, 5])) });
    expect(logs.calls).toHaveLength(2 * healthDetections().length);
    expect(new Set(logs.calls.map((call) => call.minutes))).toEqual(new Set([30]));
    for (const call of logs.calls) {
      expect(call.query).toContain('let lookback = 30m;');
      expect(call.query).toContain(`| where _ResourceId =~ "${CLUSTER}"`);
    }
    // The three health detections, nothing else.
    expect(
      healthDetections()
        .map((detection) => detection.id)
        .sort(),
    ).toEqual(['crashloop', 'failed-api-auth', 'node-not-ready']);
  });

  it('no rows is a measurement of 0 for each detection (a gate compares every one)', async () => {
    const sample = await measureHealth(
      reader(() => ({ rows: [], partialError: undefined })),
      CLUSTER,
      ['w1'],
      10,
    );
    expect(sample).toEqual({ kind: 'measured', counts: { 'failed-api-auth': 0, crashloop: 0, 'node-not-ready': 0 } });
    expect(Object.keys(sample.kind === 'measured' ? sample.counts : {})).toHaveLength(3);
  });

  it('a window under a minute is queried as one minute; rows without the measure count 0', async () => {
    const logs = reader(() => ({ rows: [{ _ResourceId: CLUSTER }], partialError: undefined }));
    expect(await measureHealth(logs, CLUSTER, ['w1'], 0.2)).toEqual({ kind: 'measured', counts: { 'failed-api-auth': 0, crashloop: 0, 'node-not-ready': 0 } });
    expect(logs.calls.every((call) => call.minutes === 1 && call.query.includes('let lookback = 1m;'))).toBe(true);
  });

  it('is inconclusive (never healthy) without a workspace, on a partial result, or when a query fails', async () => {
    const none = reader(() => ({ rows: [], partialError: undefined }));
    expect(await measureHealth(none, CLUSTER, [], 10)).toEqual({ kind: 'inconclusive', reason: 'the cluster reports to no Log Analytics workspace' });
    expect(none.calls).toEqual([]);

    const partial = reader((workspace, query) => ({
      rows: [],
      partialError: workspace === 'w2' && detectionOf(query)?.id === 'crashloop' ? 'PartialError: timed out' : undefined,
    }));
    expect(await measureHealth(partial, CLUSTER, ['w1', 'w2'], 10)).toEqual({ kind: 'inconclusive', reason: 'crashloop in w2: PartialError: timed out' });

    const failing = reader((workspace) => (workspace === 'w2' ? new Error('HTTP 503') : { rows: [], partialError: undefined }));
    expect(await measureHealth(failing, CLUSTER, ['w1', 'w2'], 10)).toEqual({ kind: 'inconclusive', reason: `${healthDetections()[0]!.id} in w2: HTTP 503` });
  });
});
