import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import type { DurableClientLike } from '../lib/upgrades/rolloutsApi.js';

/**
 * The Durable client of an invocation (its `df.input.durableClient()` binding), as the app's code
 * uses it: every function that starts or steers orchestrations (rollouts, rollbacks, the sweep and
 * in-cluster fan-outs) goes through this one adapter. `getStatus` answers undefined for an id the
 * library does not know (it throws on the 404).
 */
export function durableClient(context: InvocationContext): DurableClientLike {
  const client = df.getClient(context);
  return {
    startNew: (name, options) => client.startNew(name, options),
    getStatus: async (instanceId) => {
      try {
        return await client.getStatus(instanceId);
      } catch {
        return undefined;
      }
    },
    raiseEvent: (instanceId, name, data) => client.raiseEvent(instanceId, name, data),
    terminate: (instanceId, reason) => client.terminate(instanceId, reason),
  };
}
