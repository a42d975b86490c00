import { app, type InvocationContext, type Timer } from '@azure/functions';

import { loadOnce } from '../lib/loadOnce.js';
import { timerSchedules } from '../lib/timerSchedules.js';

const drain = loadOnce(() => import('../lib/app/scheduledDrain.js'));

/** Sends the alert outbox (FLEETGUARD_ALERT_DRAIN_SCHEDULE, default every 30 seconds). */
app.timer('alertDrain', {
  schedule: timerSchedules().alertDrain,
  runOnStartup: false,
  handler: async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const { runScheduledDrain } = await drain();
    await runScheduledDrain(context);
  },
});
