/**
 * Where notifications may go. Webhook URLs are secrets, so problems name the receiver and the rule
 * that failed, never the URL.
 */
import { literalHostReason } from './outboundAddress.js';

const VENDOR_HOSTS: Record<'slack' | 'teams', readonly string[]> = {
  slack: ['hooks.slack.com', 'hooks.slack-gov.com'],
  // Teams Workflows (Power Automate) webhooks; `*.webhook.office.com` are the retiring connectors.
  teams: ['*.logic.azure.com', '*.environment.api.powerplatform.com', '*.webhook.office.com'],
};

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export function hostMatches(host: string, pattern: string): boolean {
  const lower = host.toLowerCase();
  const wanted = pattern.toLowerCase();
  return wanted.startsWith('*.') ? lower.endsWith(wanted.slice(1)) && lower.length > wanted.length - 1 : lower === wanted;
}

/** Undefined when the URL may be used for this receiver type; otherwise why not. */
export function destinationProblem(type: 'slack' | 'teams' | 'webhook', url: string, webhookAllowedHosts: readonly string[]): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.protocol !== 'https:') return 'must use https';
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry credentials in the URL';
  const literalReason = literalHostReason(parsed.hostname);
  if (literalReason !== undefined) return `host ${literalReason}`;
  const allowed = type === 'webhook' ? webhookAllowedHosts : VENDOR_HOSTS[type];
  if (!allowed.some((pattern) => hostMatches(parsed.hostname, pattern))) {
    return type === 'webhook' ? 'host is not in webhookAllowedHosts' : `host is not one of ${allowed.join(', ')}`;
  }
  return undefined;
}
