import { describe, expect, it } from 'vitest';

import { compareMinors, minorOf } from '../../../lib/model/kubernetesVersions.js';

describe('Kubernetes versions', () => {
  it.each([
    ['1.30.4', '1.30'],
    ['v1.31.2', '1.31'],
    ['1.31', '1.31'],
    ['1.29.100-hotfix.20240101', '1.29'],
    ['', undefined],
    ['latest', undefined],
    [undefined, undefined],
  ])('minor of %s is %s', (version, minor) => {
    expect(minorOf(version)).toBe(minor);
  });

  it('orders minors numerically', () => {
    expect(['1.10', '1.9', '1.30', '2.0'].sort(compareMinors)).toEqual(['1.9', '1.10', '1.30', '2.0']);
  });
});
