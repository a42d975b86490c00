import { app, type InvocationContext, type Timer } from '@azure/functions';

import { getConfig } from '../lib/config.js';
import { runScheduledSweep } from '../lib/sweep/scheduledSweep.js';

/** Sweeps the whole fleet on a schedule (FLEETGUARD_SWEEP_SCHEDULE, default every 15 minutes). */
app.timer('fleetSweep', {
  schedule: getConfig().sweep.schedule,
  runOnStartup: false,
  useMonitor: true,
  handler: async (timer: Timer, context: InvocationContext): Promise<void> => {
    await runScheduledSweep(context, { isPastDue: timer.isPastDue });
  },
});
