import { app, type InvocationContext, type Timer } from '@azure/functions';

import { loadOnce } from '../lib/loadOnce.js';
import { timerSchedules } from '../lib/timerSchedules.js';

// Registration needs only the schedule; the sweep (SDKs, full configuration) loads on the first tick.
const sweep = loadOnce(() => import('../lib/app/scheduledSweep.js'));

/** Sweeps the whole fleet on a schedule (FLEETGUARD_SWEEP_SCHEDULE, default every 15 minutes). */
app.timer('fleetSweep', {
  schedule: timerSchedules().sweep,
  runOnStartup: false,
  useMonitor: true,
  handler: async (timer: Timer, context: InvocationContext): Promise<void> => {
    const { runScheduledSweep } = await sweep();
    await runScheduledSweep(context, { isPastDue: timer.isPastDue });
  },
});
