import { describe, expect, it } from 'vitest';

import { DETECTION_IDS, DETECTIONS } from '../../../lib/detections/catalog.js';
import { detectionQueryText, kqlString, prepareDetectionQuery, scopeToCluster } from '../../../lib/detections/query.js';
import { DETECTION_COLUMN, prepareUnionQuery, ROW_COLUMN, splitUnionRows } from '../../../lib/detections/unionQuery.js';
import { ruleCatalog } from '../../../lib/rules/catalog.js';
import { analyzeKql } from '../../harness/kusto.js';
import { LOG_ANALYTICS_TABLES } from '../../harness/logAnalyticsSchemas.js';

const PARAMETERS = { lookbackMinutes: 60, threshold: 10 };

describe('detection queries, checked by the Kusto language service against the real table schemas', () => {
  it('covers every LOG-* rule of the catalog (test/unit/rules/catalog.test.ts holds the contract list)', () => {
    expect(DETECTIONS.map((detection) => detection.id)).toEqual([...DETECTION_IDS]);
    expect(DETECTIONS.map((detection) => detection.ruleId).sort()).toEqual(
      ruleCatalog()
        .filter((rule) => rule.id.startsWith('LOG-'))
        .map((rule) => rule.id)
        .sort(),
    );
  });

  it.each(DETECTIONS.map((detection) => [detection.id, detection] as const))(
    '%s parses, type-checks, and returns exactly its declared columns',
    (_id, detection) => {
      const analysis = analyzeKql(prepareDetectionQuery(detection, PARAMETERS));
      expect(analysis.errors).toEqual([]);
      expect(analysis.kind).toBe('Query');
      expect(analysis.columns).toEqual(detection.columns);
      expect(detection.columns['_ResourceId']).toBe('string');
      expect(detection.columns[detection.measure]).toBe('long');
      for (const table of detection.tables) expect(LOG_ANALYTICS_TABLES, table).toHaveProperty(table);
      for (const table of detection.tables) expect(detectionQueryText(detection)).toContain(table);
    },
  );

  it('a broken column name fails the check', () => {
    const detection = DETECTIONS.find((candidate) => candidate.id === 'crashloop')!;
    const broken = prepareDetectionQuery(detection, PARAMETERS).replace('ContainerStatusReason', 'ContainerStatusReasons');
    expect(analyzeKql(broken).errors.join('\n')).toMatch(/ContainerStatusReasons/);
    const wrongTable = prepareDetectionQuery(detection, PARAMETERS).replace('KubePodInventory', 'KubePodInventories');
    expect(analyzeKql(wrongTable).errors.length).toBeGreaterThan(0);
  });

  it('without the let bindings the parameters are unknown names (the sweep must prepend them)', () => {
    const detection = DETECTIONS.find((candidate) => candidate.id === 'secret-reads')!;
    expect(analyzeKql(detectionQueryText(detection)).errors.join('\n')).toMatch(/lookback/);
  });

  it('rejects parameters that are not plain numbers instead of splicing them into the query', () => {
    const detection = DETECTIONS[0]!;
    expect(() => prepareDetectionQuery(detection, { lookbackMinutes: 1.5, threshold: 1 })).toThrow(/lookback/);
    expect(() => prepareDetectionQuery(detection, { lookbackMinutes: 60, threshold: Number.NaN })).toThrow(/threshold/);
  });
});

describe('all detections in one union query per workspace, checked by the Kusto language service', () => {
  const parts = DETECTIONS.map((detection, index) => ({ detection, parameters: { lookbackMinutes: 30 + index * 15, threshold: detection.threshold } }));

  it("parses and type-checks against the tables' schema, to one common schema: Detection, _ResourceId, Row", () => {
    const union = prepareUnionQuery(parts);
    const analysis = analyzeKql(union.text);
    expect(analysis.errors).toEqual([]);
    expect(analysis.kind).toBe('Query');
    expect(analysis.columns).toEqual({ [DETECTION_COLUMN]: 'string', _ResourceId: 'string', [ROW_COLUMN]: 'dynamic' });
    expect(union.detectionIds).toEqual(DETECTION_IDS);
  });

  it('keeps each detection its own query with its own time range; the query range is the longest', () => {
    const union = prepareUnionQuery(parts);
    for (const { detection, parameters } of parts) {
      const body = union.text.split(`let detection_${detection.id.replace(/-/g, '_')} = () {\n`)[1]!.split('\n};\n')[0]!;
      expect(body).toBe(prepareDetectionQuery(detection, parameters).trimEnd());
    }
    expect(union.lookbackMinutes).toBe(30 + (DETECTIONS.length - 1) * 15);
  });

  it('a broken leg fails the check (the legs are analysed, not skipped)', () => {
    const broken = prepareUnionQuery(parts).text.replace('ContainerStatusReason', 'ContainerStatusReasons');
    expect(analyzeKql(broken).errors.join('\n')).toMatch(/ContainerStatusReasons/);
  });

  it("rows split back per detection as each detection's own rows; strangers are dropped", () => {
    const rows = [
      { Detection: 'crashloop', _ResourceId: '/x', Row: { _ResourceId: '/x', Containers: 2, Pods: ['a/b'] } },
      { Detection: 'failed-api-auth', _ResourceId: '/y', Row: { _ResourceId: '/y', User: 'u', SourceIp: '1', Failures: 12 } },
      { Detection: 'not-ours', _ResourceId: '/z', Row: { _ResourceId: '/z' } },
      { Detection: 'crashloop', _ResourceId: '/x', Row: 'not a bag' },
    ];
    const split = splitUnionRows(rows, ['failed-api-auth', 'crashloop']);
    expect([...split.keys()]).toEqual(['failed-api-auth', 'crashloop']);
    expect(split.get('crashloop')).toEqual([{ _ResourceId: '/x', Containers: 2, Pods: ['a/b'] }]);
    expect(split.get('failed-api-auth')).toEqual([{ _ResourceId: '/y', User: 'u', SourceIp: '1', Failures: 12 }]);
  });
});

describe('kqlString', () => {
  const hostile = [
    'plain',
    'it\'s "quoted"',
    '" | take 1 | where 1 == "1',
    "' ; .drop table AKSAudit //",
    'back\\slash\\',
    'new\nline\r\ttab',
    '\u0000\u001f\u007f',
    'emoji 🚀 and ünïcödé',
    '@"verbatim"',
    '//comment',
  ];
  it.each(hostile)('%j stays one string literal', (value) => {
    const analysis = analyzeKql(`print value = ${kqlString(value)}`);
    expect(analysis.errors).toEqual([]);
    expect(analysis.columns).toEqual({ value: 'string' });
  });

  it('escapes quotes and backslashes so a closing quote cannot end the literal', () => {
    expect(kqlString('a"b\\c')).toBe('"a\\"b\\\\c"');
    const analysis = analyzeKql(`AKSAudit | where Verb == ${kqlString('" or 1 == 1 or Verb == "')} | project Verb`);
    expect(analysis.errors).toEqual([]);
    expect(analysis.columns).toEqual({ Verb: 'string' });
  });
});

describe('detections scoped to a cluster with a crafted id (health gates)', () => {
  const hostileIds = [
    '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg.(team)_x-1/providers/Microsoft.ContainerService/managedClusters/web-dev',
    '/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a" or 1 == 1 or _ResourceId == "',
    "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a' | take 100000 //",
    '/subscriptions/x/resourceGroups/rg\\\n| union AKSAudit/providers/Microsoft.ContainerService/managedClusters/b',
  ];
  it.each(DETECTIONS.map((detection) => [detection.id, detection] as const))(
    '%s keeps its columns and a single filter for every crafted id',
    (_id, detection) => {
      for (const clusterId of hostileIds) {
        const query = scopeToCluster(prepareDetectionQuery(detection, PARAMETERS), clusterId);
        const analysis = analyzeKql(query);
        expect(analysis.errors, clusterId).toEqual([]);
        expect(analysis.columns, clusterId).toEqual(detection.columns);
        // Exactly one extra operator: the id stayed inside its literal.
        expect(query.split('\n').at(-1)).toBe(`| where _ResourceId =~ ${kqlString(clusterId)}`);
      }
    },
  );
});
