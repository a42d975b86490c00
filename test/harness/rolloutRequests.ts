import type { RolloutRequest } from '../../lib/upgrades/plan.js';
import { DEMO_ROLLOUT_REQUEST } from '../../tooling/demo/demoRollout.js';

/** The demo's rollout request (1.32 by ring, two at a time, 10-minute soaks, consecutive hops allowed) with overrides. */
export function rolloutRequest(overrides: Partial<RolloutRequest> = {}): RolloutRequest {
  return { ...DEMO_ROLLOUT_REQUEST, ...overrides };
}
