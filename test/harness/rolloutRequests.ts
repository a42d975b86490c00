import type { RolloutRequest } from '../../lib/upgrades/plan.js';
import { DEMO_ROLLOUT_REQUEST } from '../../tooling/demo/demoRollout.js';

/** The demo's rollout request (1.32 by ring, two at a time, 10-minute soaks, consecutive hops allowed) with overrides. */
export function rolloutRequest(overrides: Partial<RolloutRequest> = {}): RolloutRequest {
  return { ...DEMO_ROLLOUT_REQUEST, ...overrides };
}

/** A dry-run planning request (1.32 by ring, one at a time, 5-minute soaks, one minor per hop) with overrides: the plan unit tests' baseline. */
export function planRequest(overrides: Partial<RolloutRequest> = {}): RolloutRequest {
  return {
    target: '1.32',
    scope: {},
    waves: { byTag: 'ring' },
    waveSettings: { maxParallel: 1, soakMinutes: 5, requireApproval: false },
    upgradeType: 'Full',
    maxFailedClusters: 0,
    respectMaintenanceWindows: false,
    allowMultiMinorHops: false,
    dryRun: true,
    ...overrides,
  };
}
