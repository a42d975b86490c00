import { describe, expect, it } from 'vitest';

import { FleetGuardError } from '../../../lib/errors.js';
import { nothingToUpgradeLine, requireWaveTag } from '../../../lib/upgrades/plan.js';

const id = (name: string) => `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`;

describe('a plan that upgrades nothing, in one line', () => {
  it('groups identical reasons and counts what it does not name, so a large fleet still answers in one line', () => {
    const entries = [
      ...Array.from({ length: 30 }, (_, index) => ({ resourceId: id(`aks-${index}`), reason: 'no ring tag', kind: 'excluded' as const })),
      ...Array.from({ length: 12 }, (_, index) => ({ resourceId: id(`old-${index}`), reason: `1.2${index}.0 is too old`, kind: 'excluded' as const })),
      { resourceId: id('done'), reason: 'already at 1.32.3', kind: 'skipped' as const },
    ];
    const line = nothingToUpgradeLine('1.32', entries);
    expect(line).not.toContain('\n');
    expect(line).toMatch(
      /^nothing to upgrade to 1\.32: 42 clusters excluded, 1 skipped \(aks-0, aks-1, aks-2 and 27 more excluded: no ring tag; old-0 excluded: 1\.20\.0 is too old; /,
    );
    expect(line).toMatch(/; and 4 more reasons\)$/);
    expect(nothingToUpgradeLine('1.32', [])).toBe('nothing to upgrade to 1.32: the plan holds no cluster');
  });

  it('a wave tag no cluster carries is badInput naming the tag; a tag some cluster carries is not', () => {
    const waves = { byTag: 'rnig' };
    expect(() => requireWaveTag({ waves: [], excluded: [{ resourceId: id('a'), reason: 'no rnig tag' }] }, { waves }, '--waves-by-tag')).toThrow(
      new FleetGuardError('badInput', "--waves-by-tag: no cluster carries the tag 'rnig'"),
    );
    expect(() => requireWaveTag({ waves: [], excluded: [] }, { waves })).toThrow(
      "waves.byTag: no cluster carries the tag 'rnig' (the fleet has no cluster in scope)",
    );
    expect(() =>
      requireWaveTag({ waves: [{ name: '0', clusters: [], excluded: [], maxParallel: 1, soakMinutes: 0, requireApproval: false }], excluded: [] }, { waves }),
    ).not.toThrow();
    expect(() => requireWaveTag({ waves: [], excluded: [] }, { waves: { explicit: [['a']] } })).not.toThrow();
  });
});
