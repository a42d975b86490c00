/**
 * The rollout activities wired to the worker's clients: built on the first activity call (the
 * configuration is parsed then, not at registration), once per runtime, so a local host that
 * resets the runtime (lib/app/runtime.ts) gets activities over its new clients.
 */
import { createRolloutActivities, type RolloutActivities } from '../upgrades/activities.js';
import type { RolloutActivityDependencies } from '../upgrades/activityPorts.js';
import { createRollbackActivities, type RollbackActivities } from '../upgrades/rollbackActivities.js';
import { type AppRuntime, getRuntime } from './runtime.js';

/** The activities' ports, backed by the runtime's adapters and stores. */
export function rolloutActivityDependencies({ config, clients }: AppRuntime): RolloutActivityDependencies {
  return {
    clusters: clients.containerService,
    policy: clients.policyInsights,
    logs: clients.logs.reader,
    workspaces: config.logs.workspaces,
    concurrency: config.sweep.concurrency,
    ...(clients.notices === undefined ? {} : { notices: clients.notices }),
    ...(clients.alertStore === undefined ? {} : { alertHold: clients.alertStore }),
    ...(clients.alerts === undefined ? {} : { alerts: clients.alerts }),
    ...(clients.rollouts === undefined ? {} : { rollouts: clients.rollouts }),
  };
}

const built = new WeakMap<AppRuntime, RolloutActivities>();

/** The worker's rollout activities (functions/rollouts.ts registers them). */
export function rolloutActivities(): RolloutActivities {
  const runtime = getRuntime();
  let activities = built.get(runtime);
  if (activities === undefined) {
    activities = createRolloutActivities(rolloutActivityDependencies(runtime));
    built.set(runtime, activities);
  }
  return activities;
}

const builtRollback = new WeakMap<AppRuntime, RollbackActivities>();

/** The worker's node-pool rollback activities (functions/rolloutRollback.ts registers them), built like {@link rolloutActivities}. */
export function rollbackActivities(): RollbackActivities {
  const runtime = getRuntime();
  let activities = builtRollback.get(runtime);
  if (activities === undefined) {
    activities = createRollbackActivities({
      clusters: runtime.clients.containerService,
      ...(runtime.clients.rollouts === undefined ? {} : { rollouts: runtime.clients.rollouts }),
    });
    builtRollback.set(runtime, activities);
  }
  return activities;
}
