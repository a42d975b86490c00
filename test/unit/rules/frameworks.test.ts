/**
 * Framework mapping (issue 16): every rule names the CIS AKS Benchmark v1.8.0 item and the Kubescape /
 * NSA control it corresponds to, where one does, and every id it names exists in the control lists
 * vendored (trimmed, with their source repository, path and commit) in test/fixtures/frameworks/.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { FRAMEWORKS } from '../../../lib/model/ruleMetadata.js';
import { frameworkItems, frameworksOf, ruleCatalog } from '../../../lib/rules/catalog.js';

interface VendoredList {
  sources: unknown[];
  items?: Array<{ id: string; title: string }>;
  controls?: Array<{ id: string; title: string; cisAks?: string; kubeBenchCisAks?: string }>;
}

function vendored(file: string): VendoredList {
  return JSON.parse(readFileSync(path.join(import.meta.dirname, '../../fixtures/frameworks', file), 'utf8')) as VendoredList;
}

const cis = vendored('cis-aks-1.8.0.json');
const kubescape = vendored('kubescape-controls.json');
const nsa = vendored('nsa.json');
const known = {
  'cis-aks': new Set((cis.items ?? []).map((item) => item.id)),
  kubescape: new Set((kubescape.controls ?? []).map((control) => control.id)),
  nsa: new Set((nsa.controls ?? []).map((control) => control.id)),
};

describe('framework mapping', () => {
  it('every vendored list names its source', () => {
    for (const list of [cis, kubescape, nsa]) expect(list.sources.length).toBeGreaterThan(0);
  });

  it('every rule of the catalog declares its mapping, even when it is empty', () => {
    const undeclared = ruleCatalog()
      .filter((rule) => rule.frameworks === undefined)
      .map((rule) => rule.id);
    expect(undeclared).toEqual([]);
  });

  it('every id a rule names exists in the vendored control list of its framework', () => {
    const unknown = ruleCatalog().flatMap((rule) =>
      FRAMEWORKS.flatMap((framework) =>
        frameworkItems(rule.id, framework)
          .filter((id) => !known[framework].has(id))
          .map((id) => `${rule.id} ${framework} ${id}`),
      ),
    );
    expect(unknown).toEqual([]);
  });

  it('an NSA control is also named as a Kubescape control, and a Kubescape CIS control agrees with the CIS item', () => {
    // Where kube-bench and Kubescape number a recommendation differently, either number agrees.
    const cisOfControl = new Map<string, string[]>(
      (kubescape.controls ?? []).flatMap((control): Array<[string, string[]]> =>
        control.cisAks === undefined ? [] : [[control.id, [control.cisAks, ...(control.kubeBenchCisAks === undefined ? [] : [control.kubeBenchCisAks])]]],
      ),
    );
    const problems = ruleCatalog().flatMap((rule) => {
      const mapping = frameworksOf(rule.id);
      return [
        ...(mapping.nsa ?? []).filter((id) => !(mapping.kubescape ?? []).includes(id)).map((id) => `${rule.id}: NSA ${id} not among its Kubescape controls`),
        ...(mapping.kubescape ?? [])
          .filter((id) => cisOfControl.has(id) && !(cisOfControl.get(id) ?? []).some((item) => (mapping['cis-aks'] ?? []).includes(item)))
          .map((id) => `${rule.id}: Kubescape ${id} is CIS ${(cisOfControl.get(id) ?? []).join(' or ')}, which the rule does not name`),
      ];
    });
    expect(problems).toEqual([]);
  });

  it('maps the in-cluster rules the way the scanners that see them do (kube-bench 4.1.x/4.4.2, Kubescape C-0185/C-0206/C-0190)', () => {
    expect(frameworksOf('K8S-CLUSTER-ADMIN-BINDING')).toMatchObject({ 'cis-aks': ['4.1.1'], nsa: ['C-0035'] });
    expect(frameworkItems('K8S-CLUSTER-ADMIN-BINDING', 'kubescape')).toContain('C-0185');
    expect(frameworkItems('K8S-NAMESPACE-NO-DEFAULT-DENY', 'cis-aks')).toEqual(['4.4.2']);
    expect(frameworkItems('K8S-NAMESPACE-NO-DEFAULT-DENY', 'kubescape')).toContain('C-0206');
    expect(frameworkItems('K8S-DEFAULT-SA-AUTOMOUNT', 'kubescape')).toContain('C-0190');
    expect(frameworkItems('AKS-AZURE-RBAC', 'cis-aks')).toEqual(['5.5.2']);
    // A rule no benchmark item checks says so rather than borrowing a near one.
    expect(frameworksOf('AKS-LTS-TIER')).toEqual({});
    expect(frameworksOf('NOT-A-RULE')).toEqual({});
  });
});
