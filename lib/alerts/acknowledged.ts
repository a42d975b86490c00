/**
 * When an acknowledgement holds back a finding's repeat notifications (pure; the planner asks).
 * An acknowledged finding is someone's work in progress: repeating it every `repeatInterval` only
 * pages them again. It repeats again once the incident is unacknowledged or resolved, and when the finding
 * resolves and reopens (an acknowledgement made before the current opening does not count).
 *
 * A rise in severity does not lift it: a finding's severity is its rule's (lib/rules/catalog.ts),
 * fixed for the finding's life, and changes only with a release, so there is nothing to compare.
 * Only repeats are held back: a first notification, a resolve, and a notification to a receiver
 * that was never told go out as before.
 */
import type { StoredFinding } from '../findings/lifecycle.js';
import type { Acknowledgement } from './interactionContract.js';

/** When the finding's current open period began: its last (re)opening, else its first sighting. */
export function openedAt(finding: StoredFinding): string {
  const opening = finding.history?.findLast((event) => event.kind === 'opened' || event.kind === 'reopened');
  return opening?.at ?? finding.firstSeen;
}

export function holdsRepeat(acknowledgement: Acknowledgement | undefined, finding: StoredFinding): boolean {
  return acknowledgement?.state === 'acknowledged' && Date.parse(acknowledgement.at) >= Date.parse(openedAt(finding));
}

/** The acknowledgement in words (`acknowledged by Tenex Engineer in PagerDuty at …`), or undefined when there is nothing to show (unacknowledged). */
export function describeAcknowledgement(acknowledgement: Acknowledgement | undefined): string | undefined {
  if (acknowledgement === undefined || acknowledgement.state === 'unacknowledged') return undefined;
  const where = acknowledgement.source === 'pagerduty' ? 'PagerDuty' : 'Slack';
  return `${acknowledgement.state} by ${acknowledgement.by} in ${where} at ${acknowledgement.at}`;
}
