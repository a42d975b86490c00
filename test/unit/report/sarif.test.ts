/**
 * `--format sarif` (issue 17, "Pipelines"): the log validates against the OASIS SARIF 2.1.0 JSON schema
 * (vendored in test/fixtures/sarif/, source there) and carries what GitHub code scanning requires
 * ("SARIF support for code scanning", github/docs content/code-security/reference/code-scanning/
 * sarif-files/sarif-support-for-code-scanning.md): rules with short/full descriptions and help, results
 * with a level, a message, at least one location with artifactLocation.uri and region.startLine, and
 * partialFingerprints.primaryLocationLineHash.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';

import { type Finding, findingFingerprint } from '../../../lib/model/finding.js';
import { resourceUri, toSarif } from '../../../lib/report/sarif.js';
import { ruleCatalog } from '../../../lib/rules/catalog.js';
import { projectRoot } from '../../harness/fixtures.js';

const CLUSTER = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg one/providers/Microsoft.ContainerService/managedClusters/prod-eu';

function finding(ruleId: string, severity: Finding['severity'], subject?: string): Finding {
  return {
    ruleId,
    resourceId: CLUSTER,
    subscriptionId: '00000000-0000-0000-0000-000000000001',
    clusterName: 'prod-eu',
    severity,
    title: `${ruleId} title`,
    detail: 'What to change.',
    practice: 'a practice',
    docUrl: 'https://learn.microsoft.com/azure/aks/',
    subject,
    fingerprint: findingFingerprint(ruleId, CLUSTER, subject),
    clusterTags: { env: 'prod' },
  };
}

const findings = [finding('AKS-LOCAL-ACCOUNTS', 'high'), finding('K8S-PRIVILEGED-POD', 'critical', 'default/web'), finding('NOT-IN-CATALOG', 'info')];

type Validate = ((data: unknown) => boolean) & { errors?: unknown };
let validate: Validate;

beforeAll(() => {
  const schema = JSON.parse(readFileSync(path.join(projectRoot, 'test', 'fixtures', 'sarif', 'sarif-schema-2.1.0.json'), 'utf8')) as object;
  // The schema is OASIS's, not ours: no strict-mode linting of its authoring and no meta-schema check
  // of it (both only cost time: compiling is the bulk of this file's run).
  const ajv = new Ajv({ strict: false, validateSchema: false, code: { optimize: false } });
  addFormats.default(ajv);
  validate = ajv.compile(schema);
});

function sarifOf(input: readonly Finding[] = findings) {
  return toSarif({ findings: input, rules: ruleCatalog(), version: '0.1.0', executionSuccessful: true, problems: ['cluster x: unreachable'] });
}

describe('toSarif', () => {
  it('validates against the SARIF 2.1.0 JSON schema', () => {
    const log = JSON.parse(JSON.stringify(sarifOf())) as unknown;
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(JSON.parse(JSON.stringify(sarifOf([]))))).toBe(true);
  });

  it('the schema check can fail: a result level SARIF does not have is refused', () => {
    const log = JSON.parse(JSON.stringify(sarifOf())) as { runs: Array<{ results: Array<Record<string, unknown>> }> };
    const result = log.runs[0]?.results[0];
    if (result === undefined) throw new Error('no result');
    result['level'] = 'critical';
    expect(validate(log)).toBe(false);
  });

  it('has every rule GitHub needs: descriptions, help, helpUri from the catalog docs link, tags, security-severity in its bands', () => {
    const driver = sarifOf().runs[0]?.tool.driver;
    const catalog = ruleCatalog();
    expect(driver?.name).toBe('fleetguard');
    expect(driver?.semanticVersion).toBe('0.1.0');
    expect(driver?.rules.length).toBe(catalog.length + 1);
    for (const rule of driver?.rules ?? []) {
      expect(rule.shortDescription.text.length, rule.id).toBeGreaterThan(0);
      expect(rule.shortDescription.text.length).toBeLessThanOrEqual(1024);
      expect(rule.fullDescription.text.length).toBeLessThanOrEqual(1024);
      expect(rule.help.text).toContain(rule.helpUri);
      expect(rule.properties.tags).toContain('security');
    }
    const localAccounts = driver?.rules.find((rule) => rule.id === 'AKS-LOCAL-ACCOUNTS');
    expect(localAccounts?.helpUri).toBe(catalog.find((rule) => rule.id === 'AKS-LOCAL-ACCOUNTS')?.docUrl);
    // GitHub: over 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
    const band = (score: string | undefined) =>
      score === undefined ? 'none' : Number(score) > 9 ? 'critical' : Number(score) >= 7 ? 'high' : Number(score) >= 4 ? 'medium' : 'low';
    for (const rule of catalog) {
      const descriptor = driver?.rules.find((entry) => entry.id === rule.id);
      expect(band(descriptor?.properties['security-severity']), rule.id).toBe(rule.severity === 'info' ? 'none' : rule.severity);
    }
  });

  it('gives each result a level, a location GitHub accepts for a cluster and a fingerprint stable across runs', () => {
    const run = sarifOf().runs[0];
    const [high, critical, info] = run?.results ?? [];
    expect([high?.level, critical?.level, info?.level]).toEqual(['error', 'error', 'note']);
    expect(run?.tool.driver.rules[critical?.ruleIndex ?? -1]?.id).toBe('K8S-PRIVILEGED-POD');
    const location = critical?.locations[0];
    expect(location?.physicalLocation.artifactLocation.uri).toBe(
      'subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg%20one/providers/Microsoft.ContainerService/managedClusters/prod-eu',
    );
    expect(location?.physicalLocation.region.startLine).toBe(1);
    expect(location?.logicalLocations[0]).toEqual({ name: 'default/web', fullyQualifiedName: `${CLUSTER}/default/web`, kind: 'resource' });
    expect(critical?.partialFingerprints['fleetguardFingerprint/v1']).toBe(findingFingerprint('K8S-PRIVILEGED-POD', CLUSTER, 'default/web'));
    expect(critical?.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]{16}:1$/);
    expect(sarifOf().runs[0]?.results.map((result) => result.partialFingerprints)).toEqual(run?.results.map((result) => result.partialFingerprints));
    expect(run?.invocations[0]?.toolExecutionNotifications).toEqual([{ level: 'warning', message: { text: 'cluster x: unreachable' } }]);
  });

  it('encodes each ARM id segment as a URI path segment', () => {
    expect(resourceUri('/subscriptions/s/resourceGroups/a#b?c/x')).toBe('subscriptions/s/resourceGroups/a%23b%3Fc/x');
  });
});
