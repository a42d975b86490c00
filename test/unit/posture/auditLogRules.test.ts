/**
 * AKS-AUDIT-LOGS over diagnostic settings as DiagnosticSettings_List returns them (2021-05-01-preview;
 * the official example is test/fixtures/azure-rest/monitor/listDiagnosticSettings.2021-05-01-preview.json).
 * PSRule's Azure.AKS.AuditLogs: kube-audit or kube-audit-admin, and guard, enabled in a setting; one
 * setting is enough and the audit/allLogs groups count (Azure/PSRule.Rules.Azure#1726, #1873).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { toDiagnosticSettings } from '../../../lib/azure/diagnosticSettings.js';
import type { DiagnosticLogSetting, DiagnosticSetting } from '../../../lib/model/diagnosticSettings.js';
import { evaluateAuditLogs } from '../../../lib/posture/auditLogRules.js';
import { checkAuditLogs } from '../../../lib/sweep/auditLogCheck.js';
import { compliantCluster } from '../../harness/clusters.js';
import { projectRoot } from '../../harness/fixtures.js';

function log(category: string, enabled = true): DiagnosticLogSetting {
  return { category, categoryGroup: undefined, enabled };
}

function setting(name: string, logs: DiagnosticLogSetting[]): DiagnosticSetting {
  return { name, logs };
}

const cluster = compliantCluster();

describe('AKS-AUDIT-LOGS', () => {
  it('reads the official List example: categoryGroup allLogs sends the audit logs', () => {
    const example = JSON.parse(
      readFileSync(path.join(projectRoot, 'test/fixtures/azure-rest/monitor/listDiagnosticSettings.2021-05-01-preview.json'), 'utf8'),
    ) as { responses: { 200: { body: unknown } } };
    const settings = toDiagnosticSettings(example.responses[200].body);
    expect(settings).toEqual([{ name: 'mysetting', logs: [{ category: undefined, categoryGroup: 'allLogs', enabled: true }] }]);
    expect(evaluateAuditLogs(cluster, settings)).toEqual([]);
  });

  it('fires with no setting at all, and says so', () => {
    const [finding] = evaluateAuditLogs(cluster, []);
    expect(finding).toMatchObject({ ruleId: 'AKS-AUDIT-LOGS', severity: 'medium', resourceId: cluster.id });
    expect(finding?.detail).toContain('has no diagnostic setting');
    expect(finding?.detail).toContain(`--resource ${cluster.id}`);
  });

  it('needs kube-audit or kube-audit-admin together with guard, enabled, in one setting', () => {
    expect(evaluateAuditLogs(cluster, [setting('a', [log('kube-audit-admin'), log('guard')])])).toEqual([]);
    expect(evaluateAuditLogs(cluster, [setting('a', [log('kube-audit'), log('guard')])])).toEqual([]);
    expect(evaluateAuditLogs(cluster, [setting('a', [log('kube-audit'), log('guard', false)])])).toHaveLength(1);
    expect(evaluateAuditLogs(cluster, [setting('a', [log('kube-audit', false), log('guard')])])).toHaveLength(1);
    expect(evaluateAuditLogs(cluster, [setting('a', [log('kube-apiserver'), log('guard')])])).toHaveLength(1);
    // Split over two settings, neither keeps both records together: as PSRule, per setting.
    const [split] = evaluateAuditLogs(cluster, [setting('audit', [log('kube-audit')]), setting('guard', [log('guard')])]);
    expect(split?.detail).toContain('(audit, guard)');
  });

  it('one setting is enough: a second one for metrics only does not make it fire (PSRule #1726)', () => {
    expect(evaluateAuditLogs(cluster, [setting('metrics', []), setting('audit', [log('kube-audit-admin'), log('guard')])])).toEqual([]);
  });

  it('the audit and allLogs category groups count, in any case; another group does not', () => {
    const group = (categoryGroup: string, enabled = true): DiagnosticSetting => setting('g', [{ category: undefined, categoryGroup, enabled }]);
    expect(evaluateAuditLogs(cluster, [group('audit')])).toEqual([]);
    expect(evaluateAuditLogs(cluster, [group('AllLogs')])).toEqual([]);
    expect(evaluateAuditLogs(cluster, [group('audit', false)])).toHaveLength(1);
    expect(evaluateAuditLogs(cluster, [group('other')])).toHaveLength(1);
  });

  it('checkAuditLogs: unknown settings and failed reads evaluate nothing (coverage, never a pass or a finding)', async () => {
    expect(await checkAuditLogs({ listDiagnosticSettings: () => Promise.resolve(undefined) }, cluster)).toEqual({ findings: [], evaluatedRuleIds: [] });
    const failed = await checkAuditLogs({ listDiagnosticSettings: () => Promise.reject(Object.assign(new Error('denied'), { statusCode: 403 })) }, cluster);
    expect(failed.evaluatedRuleIds).toEqual([]);
    expect(failed.error).toMatchObject({ scope: 'cluster', target: 'good', reason: 'authError' });
    const none = await checkAuditLogs({ listDiagnosticSettings: () => Promise.resolve([]) }, cluster);
    expect(none.evaluatedRuleIds).toEqual(['AKS-AUDIT-LOGS']);
    expect(none.findings.map((finding) => finding.ruleId)).toEqual(['AKS-AUDIT-LOGS']);
  });

  it('a body without a value list is bad input, named', () => {
    expect(() => toDiagnosticSettings({})).toThrow(/field: value/);
  });
});
