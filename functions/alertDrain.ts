import { app, type InvocationContext, type Timer } from '@azure/functions';

import { runScheduledDrain } from '../lib/alerts/scheduledDrain.js';
import { getConfig } from '../lib/config.js';

/** Sends the alert outbox (FLEETGUARD_ALERT_DRAIN_SCHEDULE, default every 30 seconds). */
app.timer('alertDrain', {
  schedule: getConfig().alertDelivery.drainSchedule,
  runOnStartup: false,
  handler: async (_timer: Timer, context: InvocationContext): Promise<void> => {
    await runScheduledDrain(context);
  },
});
