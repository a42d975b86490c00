import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';

import { processDeliveredEvent } from '../lib/events/deliveredEvent.js';

/** Azure Policy state events (created, changed, deleted) for the swept subscriptions. */
app.eventGrid('policyEvents', {
  handler: async (event: EventGridEvent, context: InvocationContext): Promise<void> => {
    await processDeliveredEvent(event, 'policy', context);
  },
});
