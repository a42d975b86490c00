/** The Functions app entry (package.json `main`): importing a file registers its functions. */
import './fleetSweep.js';
import './aksEvents.js';
import './policyEvents.js';
import './alertDrain.js';
import './silences.js';
import './rollouts.js';
import './rolloutsApi.js';
import './rolloutRollback.js';
import './report.js';
import './inClusterSweep.js';
import './slackInteractions.js';
import './pagerDutyWebhook.js';
