import type { PlannedNotification } from '../alert.js';
import type { AlertReceiver } from '../alertingConfig.js';
import type { RenderedMessage } from './common.js';
import { renderPagerDuty } from './pagerduty.js';
import { renderSlack } from './slack.js';
import { renderTeams } from './teams.js';
import { renderWebhook } from './webhook.js';

/** The messages one planned notification becomes for its receiver's vendor. */
export function renderNotification(notification: PlannedNotification, receiver: AlertReceiver): RenderedMessage[] {
  switch (receiver.type) {
    case 'slack':
      return renderSlack(notification);
    case 'teams':
      return renderTeams(notification);
    case 'pagerduty':
      return renderPagerDuty(notification);
    case 'webhook':
      return renderWebhook(notification);
  }
}
