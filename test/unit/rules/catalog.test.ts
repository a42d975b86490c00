/**
 * One source of truth per rule (issue 13): every rule declares its group, severity, docs link and
 * whether it is a rollout health signal beside its definition, and the report, the gate and the
 * simulator follow that metadata. The "follows" tests flip a rule's metadata at run time and check
 * the behaviour moves with it, so a hard-coded list of rule or detection ids anywhere fails them.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { type Detection, DETECTIONS } from '../../../lib/detections/catalog.js';
import { detectionMarker } from '../../../lib/detections/query.js';
import { SEVERITIES } from '../../../lib/model/finding.js';
import { type HealthSignal, PRACTICE_GROUPS } from '../../../lib/model/ruleMetadata.js';
import { CLUSTER_RULES, evaluateCluster } from '../../../lib/posture/evaluateCluster.js';
import { RULE_GROUPS } from '../../../lib/report/reportGroups.js';
import { healthSignals, ruleCatalog } from '../../../lib/rules/catalog.js';
import type { LogsReader } from '../../../lib/sweep/detectionStage.js';
import { healthDegraded, healthDetections, measureHealth, STRICT_SIGNALS } from '../../../lib/upgrades/health.js';
import { FaultInjector } from '../../../tooling/simulator/faults.js';
import { FleetState } from '../../../tooling/simulator/fleetState.js';
import { logsRoutes } from '../../../tooling/simulator/logsRoutes.js';
import { loadSnapshot } from '../../../tooling/simulator/snapshot.js';
import { UpgradeSimulation } from '../../../tooling/simulator/upgradeSimulation.js';
import { compliantCluster } from '../../harness/clusters.js';
import { conformanceSample } from '../../harness/fixtures.js';

/** Ids and severities exactly as CONTRACTS.md §1 states them (POLICY-NONCOMPLIANT: its highest), plus the rules beyond the table. */
const CONTRACT_SEVERITIES: Record<string, string> = {
  'AKS-K8S-RBAC': 'critical',
  'AKS-ENTRA': 'high',
  'AKS-AZURE-RBAC': 'medium',
  'AKS-LOCAL-ACCOUNTS': 'high',
  'AKS-API-EXPOSURE': 'high',
  'AKS-NETWORK-POLICY': 'high',
  'AKS-WORKLOAD-IDENTITY': 'medium',
  'AKS-AZURE-POLICY': 'medium',
  'AKS-KEYVAULT-CSI': 'low',
  'AKS-DEFENDER': 'medium',
  'AKS-AUTO-UPGRADE': 'low',
  'AKS-NODE-OS-UPGRADE': 'medium',
  'AKS-VERSION-UNSUPPORTED': 'critical',
  'AKS-VERSION-ENDING': 'medium',
  'AKS-POOL-VERSION-SKEW': 'low',
  'AKS-PROVISIONING-FAILED': 'high',
  'POLICY-NONCOMPLIANT': 'high',
  'LOG-FAILED-API-AUTH': 'high',
  'LOG-ANONYMOUS-ACCESS': 'high',
  'LOG-EXEC-INTO-POD': 'medium',
  'LOG-PRIVILEGED-POD': 'high',
  'LOG-SECRET-READS': 'medium',
  'LOG-CRASHLOOP': 'medium',
  'LOG-NODE-NOT-READY': 'high',
  // Beyond the §1 table: the long-term-support tier rule and the Event Grid notice rules.
  'AKS-LTS-TIER': 'high',
  'AKS-SUPPORT-ENDING': 'high',
  'AKS-SUPPORT-ENDED': 'critical',
  'AKS-NODEPOOL-ROLLING-FAILED': 'high',
  // PSRule for Azure parity (issue 16): ARM properties, and diagnostic settings for audit logs.
  'AKS-KV-SECRET-ROTATION': 'low',
  'AKS-SYSTEM-POOL-ZONES': 'medium',
  'AKS-PRODUCTION-TIER': 'medium',
  'AKS-SYSTEM-POOL-MIN-NODES': 'medium',
  'AKS-MANAGED-IDENTITY': 'medium',
  'AKS-CONTAINER-INSIGHTS': 'low',
  'AKS-AUDIT-LOGS': 'medium',
  // CONTRACTS.md §5, in-cluster (K8S-CLUSTER-ADMIN-BINDING: its highest; high for other subjects).
  'K8S-CLUSTER-ADMIN-BINDING': 'critical',
  'K8S-ANONYMOUS-BINDING': 'critical',
  'K8S-BINDING-GROUP-NAME': 'medium',
  'K8S-WILDCARD-ROLE': 'medium',
  'K8S-NAMESPACE-NO-DEFAULT-DENY': 'medium',
  'K8S-NAMESPACE-NO-PSS': 'medium',
  'K8S-DEFAULT-SA-AUTOMOUNT': 'low',
  'K8S-PRIVILEGED-POD': 'high',
  'K8S-WORKLOAD-IDENTITY-POD': 'medium',
};

/** Replaces one detection's health signal for the length of a test (restored in afterEach). */
const restore: Array<() => void> = [];
function flagDetection(id: string, signal: HealthSignal | undefined): void {
  const detection = DETECTIONS.find((candidate) => candidate.id === id) as Detection;
  const previous = detection.healthSignal;
  restore.push(() => {
    if (previous === undefined) delete detection.healthSignal;
    else detection.healthSignal = previous;
  });
  if (signal === undefined) delete detection.healthSignal;
  else detection.healthSignal = signal;
}
afterEach(() => {
  for (const undo of restore.splice(0).reverse()) undo();
});

/** A Log Analytics port that records which detections were asked and answers one row each. */
function recordingReader(clusterId: string): { reader: LogsReader; asked: string[] } {
  const asked: string[] = [];
  const reader: LogsReader = {
    query: (_workspace, query) => {
      const id = /fleetguard-detection: ([a-z0-9-]+)/.exec(query)?.[1] ?? '?';
      asked.push(id);
      const measure = DETECTIONS.find((detection) => detection.id === id)?.measure ?? 'Count';
      return Promise.resolve({ rows: [{ _ResourceId: clusterId, [measure]: 7 }], partialError: undefined });
    },
  };
  return { reader, asked };
}

describe('the rule catalog', () => {
  it('has every rule once, with the severity of CONTRACTS.md §1, a practice group, a title, a practice and a Learn link', () => {
    const catalog = ruleCatalog();
    expect(catalog.map((rule) => rule.id).sort()).toEqual(Object.keys(CONTRACT_SEVERITIES).sort());
    for (const rule of catalog) {
      expect(rule.severity, rule.id).toBe(CONTRACT_SEVERITIES[rule.id]);
      expect(SEVERITIES, rule.id).toContain(rule.severity);
      expect(PRACTICE_GROUPS, rule.id).toContain(rule.group);
      expect(rule.title, rule.id).not.toBe('');
      expect(rule.practice, rule.id).not.toBe('');
      expect(rule.docUrl, rule.id).toMatch(/^https:\/\/learn\.microsoft\.com\//);
    }
  });

  it('findings carry the metadata their rule declares', () => {
    // Everything a cluster rule checks is off, so nearly every rule fires.
    const bare = compliantCluster({
      enableRbac: false,
      aadManaged: false,
      aadAzureRbac: false,
      disableLocalAccounts: false,
      privateCluster: false,
      networkPolicy: undefined,
      workloadIdentity: false,
      addons: {},
      defenderMonitoring: false,
      upgradeChannel: undefined,
      nodeOsUpgradeChannel: undefined,
      provisioningState: 'Failed',
    });
    const { findings } = evaluateCluster(bare, undefined);
    expect(findings.length).toBeGreaterThan(5);
    const byId = new Map(ruleCatalog().map((rule) => [rule.id, rule]));
    for (const finding of findings) {
      const rule = byId.get(finding.ruleId)!;
      expect({ severity: finding.severity, title: finding.title, practice: finding.practice, docUrl: finding.docUrl }, finding.ruleId).toEqual({
        severity: rule.severity,
        title: rule.title,
        practice: rule.practice,
        docUrl: rule.docUrl,
      });
    }
  });

  it('the report groups are the groups the rules declare', () => {
    expect(RULE_GROUPS).toEqual(Object.fromEntries(ruleCatalog().map((rule) => [rule.id, rule.group])));
    const entra = CLUSTER_RULES.find((rule) => rule.id === 'AKS-ENTRA')!;
    expect(RULE_GROUPS['AKS-ENTRA']).toBe(entra.group);
  });
});

describe('rollout gate signals come from the metadata', () => {
  const clusterId = compliantCluster().id;

  it('the gate measures exactly the rules flagged as health signals: detections by query, the others by the activities', () => {
    const measured = [...healthDetections().map((detection) => detection.healthSignal.name), ...Object.values(STRICT_SIGNALS)];
    expect(measured.sort()).toEqual(
      healthSignals()
        .map((signal) => signal.name)
        .sort(),
    );
    expect(new Set(measured).size).toBe(measured.length);
    // Dropping a signal from the metadata is caught by the rehearsal tests, which halt on them by name.
  });

  it('healthDegraded fails each signal the way its metadata says: anyRise on +1, clearRise only on a clear rise', () => {
    for (const signal of healthSignals()) {
      const slight = healthDegraded({ [signal.name]: 3 }, { [signal.name]: 4 });
      const clear = healthDegraded({ [signal.name]: 3 }, { [signal.name]: 9 });
      expect(clear, signal.name).toBe(`${signal.name} rose from 3 to 9`);
      expect(slight, signal.name).toBe(signal.fails === 'anyRise' ? `${signal.name} rose from 3 to 4` : undefined);
    }
  });

  it('measureHealth queries the flagged detections and nothing else, and follows a change of flags', async () => {
    const before = recordingReader(clusterId);
    const sample = await measureHealth(
      before.reader,
      clusterId,
      ['/subscriptions/s/resourceGroups/r/providers/Microsoft.OperationalInsights/workspaces/w'],
      30,
    );
    expect(before.asked).toEqual(DETECTIONS.filter((detection) => detection.healthSignal !== undefined).map((detection) => detection.id));
    expect(sample).toEqual({ kind: 'measured', counts: { 'failed-api-auth': 7, crashloop: 7, 'node-not-ready': 7 } });

    flagDetection('secret-reads', { name: 'secret-reads', fails: 'anyRise' });
    flagDetection('crashloop', undefined);
    const after = recordingReader(clusterId);
    const changed = await measureHealth(
      after.reader,
      clusterId,
      ['/subscriptions/s/resourceGroups/r/providers/Microsoft.OperationalInsights/workspaces/w'],
      30,
    );
    expect(after.asked).toEqual(['failed-api-auth', 'secret-reads', 'node-not-ready']);
    expect(changed).toEqual({ kind: 'measured', counts: { 'failed-api-auth': 7, 'secret-reads': 7, 'node-not-ready': 7 } });
    expect(healthDegraded({ 'secret-reads': 0 }, { 'secret-reads': 1 })).toBe('secret-reads rose from 0 to 1');
  });

  it('the simulator spikes, after an anomalous upgrade, exactly the detections flagged as health signals', async () => {
    const fleet = new FleetState(loadSnapshot(conformanceSample), []);
    const upgrades = new UpgradeSimulation(fleet, { now: () => 2_000 });
    fleet.upgrades = upgrades;
    const [clusterKey, workspaces] = [...fleet.workspacesByCluster()][0]!;
    const workspace = [...workspaces][0]!;
    upgrades.anomalousClusters.add(clusterKey.split('/').at(-1)!);
    upgrades.upgradedAt.set(clusterKey, 1_000);
    const route = logsRoutes(fleet, new FaultInjector()).find((candidate) => candidate.name === 'logs.query')!;
    const spiking = async () => {
      const spiked: string[] = [];
      for (const detection of DETECTIONS) {
        const response = await route.handle({
          method: 'POST',
          url: new URL('https://127.0.0.1/'),
          params: { workspace: workspace.slice(1) },
          headers: {},
          body: { query: `${detectionMarker(detection.id)}\n${detection.tables[0]!}` },
          baseUrl: 'https://127.0.0.1',
        });
        const tables = (response.body as { tables: Array<{ columns: Array<{ name: string }>; rows: unknown[][] }> }).tables;
        const measure = tables[0]!.columns.findIndex((column) => column.name === detection.measure);
        const id = tables[0]!.columns.findIndex((column) => column.name === '_ResourceId');
        if (tables[0]!.rows.some((row) => String(row[id]).toLowerCase() === clusterKey && row[measure] === 50)) spiked.push(detection.id);
      }
      return spiked;
    };
    expect(await spiking()).toEqual(['failed-api-auth', 'crashloop', 'node-not-ready']);
    flagDetection('privileged-pod', { name: 'privileged-pod', fails: 'clearRise' });
    flagDetection('node-not-ready', undefined);
    expect(await spiking()).toEqual(['failed-api-auth', 'privileged-pod', 'crashloop']);
  });
});
