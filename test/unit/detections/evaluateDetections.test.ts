import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { detectionById } from '../../../lib/detections/catalog.js';
import { evaluateDetection } from '../../../lib/detections/evaluateDetections.js';
import { compliantCluster } from '../../harness/clusters.js';
import { conformanceSample } from '../../harness/fixtures.js';

const WEB_DEV = compliantCluster({
  name: 'web-dev',
  id: '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev',
});
const OTHER = compliantCluster({
  name: 'other',
  id: '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/other',
});
const failedAuth = detectionById('failed-api-auth')!;

/** Rows of a Log Analytics response body as the adapter hands them on: column name → value. */
function rowsOf(body: { tables: Array<{ columns: Array<{ name: string }>; rows: unknown[][] }> }) {
  const table = body.tables[0]!;
  return table.rows.map((row) => Object.fromEntries(table.columns.map((column, index) => [column.name, row[index]])));
}

describe('detection result mapping', () => {
  it('maps the conformance sample response (lower-cased _ResourceId) to the fleet cluster', () => {
    const body = JSON.parse(readFileSync(path.join(conformanceSample, 'logs', 'failed-api-auth.json'), 'utf8')) as Parameters<typeof rowsOf>[0];
    const findings = evaluateDetection(failedAuth, rowsOf(body), [WEB_DEV, OTHER], { threshold: 10, lookbackMinutes: 60 });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ ruleId: 'LOG-FAILED-API-AUTH', severity: 'high', resourceId: WEB_DEV.id, clusterName: 'web-dev' });
    expect(findings[0]?.detail).toContain('240 API requests were answered 401/403');
    expect(findings[0]?.detail).toContain('SourceIp: 192.0.2.10');
  });

  it('sums the measure over rows (and workspaces) before comparing with the threshold', () => {
    const rows = [
      { _ResourceId: WEB_DEV.id, User: 'a', SourceIp: '1', Failures: 6 },
      { _ResourceId: WEB_DEV.id.toUpperCase(), User: 'b', SourceIp: '2', Failures: 4 },
      { _ResourceId: OTHER.id, User: 'c', SourceIp: '3', Failures: 9 },
    ];
    const findings = evaluateDetection(failedAuth, rows, [WEB_DEV, OTHER], { threshold: 10, lookbackMinutes: 30 });
    expect(findings.map((finding) => finding.clusterName)).toEqual(['web-dev']);
    expect(findings[0]?.detail).toContain('10 API requests');
    expect(findings[0]?.detail).toContain('User: a, b');
    expect(findings[0]?.detail).toContain('last 30 minutes, threshold 10');
  });

  it('ignores rows of clusters outside the fleet and rows without a resource id', () => {
    const rows = [
      { _ResourceId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.ContainerService/managedClusters/stranger', Failures: 500 },
      { Failures: 500 },
      { _ResourceId: 42, Failures: 500 },
    ];
    expect(evaluateDetection(failedAuth, rows, [WEB_DEV], { threshold: 1, lookbackMinutes: 60 })).toEqual([]);
  });

  it('lists dynamic array examples, a few of them, and says how many more', () => {
    const crashloop = detectionById('crashloop')!;
    const pods = Array.from({ length: 8 }, (_unused, index) => `ns/pod-${index}`);
    const [finding] = evaluateDetection(crashloop, [{ _ResourceId: WEB_DEV.id, Containers: 8, Pods: pods }], [WEB_DEV], { threshold: 1, lookbackMinutes: 60 });
    expect(finding?.detail).toContain('Pods: ns/pod-0, ns/pod-1, ns/pod-2, ns/pod-3, ns/pod-4 and 3 more');
  });

  it('one finding per (rule, cluster): the fingerprint does not change with the numbers', () => {
    const [first] = evaluateDetection(failedAuth, [{ _ResourceId: WEB_DEV.id, Failures: 11 }], [WEB_DEV], { threshold: 10, lookbackMinutes: 60 });
    const [second] = evaluateDetection(failedAuth, [{ _ResourceId: WEB_DEV.id, Failures: 99, User: 'z' }], [WEB_DEV], { threshold: 10, lookbackMinutes: 60 });
    expect(first?.fingerprint).toBe(second?.fingerprint);
  });
});
