import type { RolloutRequest } from '../../lib/upgrades/plan.js';

/** The rollout request the rehearsal tests start from: 1.32 by ring, two at a time, 10-minute soaks, consecutive hops allowed. */
export function rolloutRequest(overrides: Partial<RolloutRequest> = {}): RolloutRequest {
  return {
    target: '1.32',
    scope: {},
    waves: { byTag: 'ring' },
    waveSettings: { maxParallel: 2, soakMinutes: 10, requireApproval: false },
    upgradeType: 'Full',
    maxFailedClusters: 0,
    respectMaintenanceWindows: false,
    allowMultiMinorHops: true,
    dryRun: false,
    ...overrides,
  };
}
