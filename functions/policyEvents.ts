import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';

import { loadOnce } from '../lib/loadOnce.js';

const events = loadOnce(() => import('../lib/app/deliveredEvent.js'));

/** Azure Policy state events (created, changed, deleted) for the swept subscriptions. */
app.eventGrid('policyEvents', {
  handler: async (event: EventGridEvent, context: InvocationContext): Promise<void> => {
    const { processDeliveredEvent } = await events();
    await processDeliveredEvent(event, 'policy', context);
  },
});
