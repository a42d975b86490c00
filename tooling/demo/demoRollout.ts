/** The demo's rollout: Kubernetes 1.32 by ring on the sample fleet, where web-dev (ring 0) misbehaves after its upgrade. */
import { processEnvironment } from '../../lib/config.js';
import type { RolloutRequest } from '../../lib/upgrades/plan.js';
import { type Rehearsal, rehearseRollout } from '../local/rehearsal.js';
import { sampleFleetDirectory } from '../simulator/sampleFleet.js';
import { loadSnapshot } from '../simulator/snapshot.js';

export const DEMO_WEB_DEV =
  '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev';

/** Kubernetes 1.32 by ring, two clusters at a time, 10-minute soaks, consecutive minor hops allowed. */
export const DEMO_ROLLOUT_REQUEST: RolloutRequest = {
  target: '1.32',
  scope: {},
  waves: { byTag: 'ring' },
  waveSettings: { maxParallel: 2, soakMinutes: 10, requireApproval: false },
  upgradeType: 'Full',
  maxFailedClusters: 0,
  respectMaintenanceWindows: false,
  allowMultiMinorHops: true,
  dryRun: false,
};

/** The caller closes `rehearsal.local`. */
export function rehearseDemoRollout(): Promise<Rehearsal> {
  return rehearseRollout(
    {
      snapshot: loadSnapshot(sampleFleetDirectory()),
      request: DEMO_ROLLOUT_REQUEST,
      injectAnomaly: ['web-dev'],
    },
    processEnvironment(),
  );
}
