/** A finding as a sweep observes it, for store and lifecycle tests (title = rule id, guidance link fixed). */
import { type Finding, findingFingerprint } from '../../lib/model/finding.js';

export function observedFinding(ruleId: string, resourceId: string, subscriptionId: string, overrides: Partial<Finding> = {}): Finding {
  return {
    ruleId,
    resourceId,
    subscriptionId,
    clusterName: resourceId.split('/').at(-1) ?? '',
    severity: 'high',
    title: ruleId,
    detail: `${ruleId} detail`,
    practice: 'p',
    docUrl: 'https://learn.microsoft.com/x',
    subject: undefined,
    fingerprint: findingFingerprint(ruleId, resourceId, undefined),
    clusterTags: { ring: '0' },
    ...overrides,
  };
}
