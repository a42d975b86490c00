import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';

import { processDeliveredEvent } from '../lib/events/deliveredEvent.js';

/** AKS system-topic events (Event Grid schema or CloudEvents 1.0): support ending/ended, new versions, node-pool rolling. */
app.eventGrid('aksEvents', {
  handler: async (event: EventGridEvent, context: InvocationContext): Promise<void> => {
    await processDeliveredEvent(event, 'aks', context);
  },
});
