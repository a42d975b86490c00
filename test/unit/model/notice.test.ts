import { describe, expect, it } from 'vitest';

import { latestPoolRolling, type RollingNotice, type RollingProgressNotice } from '../../../lib/model/notice.js';

const CLUSTER = '/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/managedClusters/c';
const progress = (nodePool: string, state: string, eventTime: string): RollingProgressNotice => ({ clusterId: CLUSTER, nodePool, state, eventTime });
const outcome = (nodePool: string, state: RollingNotice['state'], eventTime: string): RollingNotice => ({ clusterId: CLUSTER, nodePool, state, eventTime });

describe('latest node pool rolling report', () => {
  it('is the newest progress of each pool while no outcome is as new', () => {
    expect(
      latestPoolRolling(
        [progress('system', 'Started', '2026-11-22T10:00:00.000Z'), progress('user', 'Started', '2026-11-22T10:05:00.000Z')],
        [outcome('system', 'failed', '2026-11-22T09:00:00.000Z')],
      ),
    ).toEqual([
      { nodePool: 'system', state: 'Started', eventTime: '2026-11-22T10:00:00.000Z', reportedBy: 'NodePoolRollingProgress' },
      { nodePool: 'user', state: 'Started', eventTime: '2026-11-22T10:05:00.000Z', reportedBy: 'NodePoolRollingProgress' },
    ]);
  });

  it('a later (or same-time) Started/Succeeded/Failed of the pool supersedes its progress; pool names compare without case', () => {
    expect(
      latestPoolRolling([progress('System', 'Started', '2026-11-22T10:00:00.000Z')], [outcome('system', 'succeeded', '2026-11-22T11:00:00.000Z')]),
    ).toEqual([{ nodePool: 'system', state: 'Succeeded', eventTime: '2026-11-22T11:00:00.000Z', reportedBy: 'NodePoolRollingSucceeded' }]);
    expect(latestPoolRolling([progress('system', 'Started', '2026-11-22T10:00:00.000Z')], [outcome('system', 'failed', '2026-11-22T10:00:00.000Z')])).toEqual([
      { nodePool: 'system', state: 'Failed', eventTime: '2026-11-22T10:00:00.000Z', reportedBy: 'NodePoolRollingFailed' },
    ]);
  });

  it('keeps a progress state AKS may add later (the draft enum is modelAsString)', () => {
    expect(latestPoolRolling([progress('system', 'Paused', '2026-11-22T10:00:00.000Z')], [])).toEqual([
      { nodePool: 'system', state: 'Paused', eventTime: '2026-11-22T10:00:00.000Z', reportedBy: 'NodePoolRollingProgress' },
    ]);
    expect(latestPoolRolling([], [])).toEqual([]);
  });
});
