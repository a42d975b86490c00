import { describe, expect, it } from 'vitest';

import { FleetGuardError } from '../../../lib/errors.js';
import { parseKubernetesList } from '../../../lib/k8s/objects.js';
import { namespace, pod } from '../../harness/kubernetes.js';

function rejection(run: () => unknown): FleetGuardError {
  try {
    run();
  } catch (error) {
    return error as FleetGuardError;
  }
  throw new Error('expected a rejection');
}

describe('parseKubernetesList', () => {
  it('reads a List as kubectl and the API server return it (List or {Kind}List), nulls and omitted fields as empty', () => {
    const items = parseKubernetesList(
      'namespaces',
      { apiVersion: 'v1', kind: 'NamespaceList', metadata: {}, items: [namespace('a'), { metadata: { name: 'b' } }] },
      'f',
    );
    expect(items.map((item) => [item.metadata.name, item.metadata.labels])).toEqual([
      ['a', { 'kubernetes.io/metadata.name': 'a' }],
      ['b', {}],
    ]);
    const [bare] = parseKubernetesList(
      'pods',
      { kind: 'List', items: [{ metadata: { name: 'p', namespace: 'n', ownerReferences: null }, spec: { containers: null } }] },
      'f',
    );
    expect(bare?.spec.containers).toEqual([]);
    expect(bare?.metadata.ownerReferences).toEqual([]);
  });

  it('rejects a malformed body naming the source, the field and the object', () => {
    const broken = pod('frontend', 'web-1', { spec: { containers: { name: 'main' } } });
    const error = rejection(() => parseKubernetesList('pods', { kind: 'List', items: [pod('frontend', 'ok'), broken] }, 'snap/kubernetes/s/rg/c/pods.json'));
    expect(error).toBeInstanceOf(FleetGuardError);
    expect(error.reason).toBe('badInput');
    expect(error.message).toMatch(/^snap\/kubernetes\/s\/rg\/c\/pods\.json: items\[1\]\.spec\.containers \(pod web-1\): /);
  });

  it('rejects a body that is not a List, and an object without a name', () => {
    expect(rejection(() => parseKubernetesList('roles', { kind: 'Role', metadata: { name: 'r' } }, 'roles.json')).message).toMatch(
      /^roles\.json: kind: must be a List/,
    );
    expect(rejection(() => parseKubernetesList('roles', { kind: 'List', items: [{ metadata: {} }] }, 'roles.json')).message).toMatch(
      /^roles\.json: items\[0\]\.metadata\.name/,
    );
  });
});
