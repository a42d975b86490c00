/**
 * The registered alert vendors, one line each. Adding a vendor is one folder
 * (`./<name>/index.ts` exporting an `AlertVendor`) and one line here.
 */
export { opsgenie } from './opsgenie/index.js';
export { pagerduty } from './pagerduty/index.js';
export { slack } from './slack/index.js';
export { slackApp } from './slackApp/index.js';
export { teams } from './teams/index.js';
export { webhook } from './webhook/index.js';
