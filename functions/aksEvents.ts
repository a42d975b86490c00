import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';

import { loadOnce } from '../lib/loadOnce.js';

const events = loadOnce(() => import('../lib/app/deliveredEvent.js'));

/** AKS system-topic events (Event Grid schema or CloudEvents 1.0): support ending/ended, new versions, node-pool rolling. */
app.eventGrid('aksEvents', {
  handler: async (event: EventGridEvent, context: InvocationContext): Promise<void> => {
    const { processDeliveredEvent } = await events();
    await processDeliveredEvent(event, 'aks', context);
  },
});
