import type { PlannedNotification } from '../alert.js';
import { vendorOf } from '../vendors/index.js';
import type { RenderedMessage } from './common.js';

/** The messages one planned notification becomes for its receiver's vendor. */
export function renderNotification(notification: PlannedNotification, receiver: { type: string }): RenderedMessage[] {
  return vendorOf(receiver).render(notification);
}
