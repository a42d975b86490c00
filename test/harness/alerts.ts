import type { Alert } from '../../lib/alerts/alert.js';
import type { StoredFinding } from '../../lib/findings/lifecycle.js';
import { findingFingerprint } from '../../lib/model/finding.js';

export function storedFinding(overrides: Partial<StoredFinding> & { ruleId?: string; cluster?: string } = {}): StoredFinding {
  const cluster = overrides.cluster ?? 'web-dev';
  const resourceId =
    overrides.resourceId ??
    `/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${cluster}`;
  const ruleId = overrides.ruleId ?? 'AKS-LOCAL-ACCOUNTS';
  const rest: Partial<StoredFinding> = { ...overrides };
  delete (rest as { cluster?: string }).cluster;
  return {
    ruleId,
    resourceId,
    subscriptionId: '11111111-1111-1111-1111-111111111111',
    clusterName: cluster,
    severity: 'high',
    title: `${ruleId} title`,
    detail: `${ruleId} detail`,
    practice: 'p',
    docUrl: 'https://learn.microsoft.com/azure/aks/x',
    subject: undefined,
    fingerprint: findingFingerprint(ruleId, resourceId, overrides.subject),
    clusterTags: { ring: '0', env: 'prod' },
    status: 'open',
    firstSeen: '2026-11-20T10:00:00.000Z',
    lastSeen: '2026-11-20T10:00:00.000Z',
    resolvedAt: undefined,
    resolution: undefined,
    timesOpened: 1,
    observedAt: '2026-11-20T10:00:00.000Z',
    sweepId: 's1',
    ...rest,
  };
}

export function firing(overrides: Parameters<typeof storedFinding>[0] = {}): Alert {
  return { status: 'firing', finding: storedFinding(overrides) };
}

export function resolved(overrides: Parameters<typeof storedFinding>[0] = {}): Alert {
  return {
    status: 'resolved',
    finding: storedFinding({ status: 'resolved', resolvedAt: '2026-11-20T11:00:00.000Z', resolution: 'notObserved', ...overrides }),
  };
}

export const SECRETS = {
  SLACK_URL: 'https://hooks.slack.com/services/T0SECRET/B0SECRET/slackSecretToken123',
  TEAMS_URL: 'https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=teamsSecretSig456',
  PD_KEY: 'pdRoutingKeySecret789abcdef0123456',
  HOOK_URL: 'https://hooks.example.com/fleet?token=hookSecretToken000',
  HOOK_KEY: 'hmacSecretKeyABCDEF0123456789',
  OG_KEY: 'ogApiKeySecret-5f0c-4e1a-9d2b-000000000000',
};

/** Every receiver type, reading the secrets above, and the webhook allow-list. */
export const RECEIVERS_YAML = `
receivers:
  - { name: pager, type: pagerduty, routingKeySetting: PD_KEY }
  - { name: slack, type: slack, webhookUrlSetting: SLACK_URL }
  - { name: teams, type: teams, webhookUrlSetting: TEAMS_URL }
  - { name: hook, type: webhook, urlSetting: HOOK_URL, hmacKeySetting: HOOK_KEY }
  - { name: opsgenie, type: opsgenie, apiKeySetting: OG_KEY }
webhookAllowedHosts: [hooks.example.com]
`;

/** A routing document with all receivers and these routes (YAML list items). */
export function routingDocument(routes: string): string {
  return `${RECEIVERS_YAML}routes:\n${routes
    .trim()
    .split('\n')
    .map((line) => `  ${line.trim()}`)
    .join('\n')}\n`;
}

export const ROUTES_YAML = routingDocument(`
- { name: page, receiver: pager, match: { minSeverity: high }, continue: true }
- { name: digest, receiver: slack, groupBy: [subscription] }
`);
