/** Route matching, silences and inhibition: pure functions over findings. */
import type { StoredFinding } from '../findings/lifecycle.js';
import { parseResourceId, resourceKey } from '../model/cluster.js';
import { severityAtLeast } from '../model/finding.js';
import type { Silence } from './alert.js';
// Types only from alertingConfig: the Slack app renderer (vendors/) imports this module, and a value
// import here would close a cycle alertingConfig → vendors → routing → alertingConfig.
import type { AlertMatch, AlertRoute } from './alertingConfig.js';

/** Every wanted tag is on the cluster, keys and values compared case-insensitively. */
export function tagsMatch(wanted: Record<string, string> | undefined, tags: Record<string, string>): boolean {
  if (wanted === undefined) return true;
  const lower = new Map(Object.entries(tags).map(([key, value]) => [key.toLowerCase(), value.toLowerCase()]));
  return Object.entries(wanted).every(([key, value]) => lower.get(key.toLowerCase()) === value.toLowerCase());
}

export function routeMatches(match: AlertMatch, finding: StoredFinding): boolean {
  if (match.minSeverity !== undefined && !severityAtLeast(finding.severity, match.minSeverity)) return false;
  if (match.ruleIds !== undefined && !match.ruleIds.includes(finding.ruleId)) return false;
  if (match.rulePrefixes !== undefined && !match.rulePrefixes.some((prefix) => finding.ruleId.startsWith(prefix))) return false;
  if (match.subscriptions !== undefined && !match.subscriptions.some((id) => id.toLowerCase() === finding.subscriptionId.toLowerCase())) return false;
  return tagsMatch(match.tags, finding.clusterTags);
}

/** Routes in order; the first match wins unless it says `continue`. */
export function matchRoutes(routes: readonly AlertRoute[], finding: StoredFinding): AlertRoute[] {
  const matched: AlertRoute[] = [];
  for (const route of routes) {
    if (!routeMatches(route.match, finding)) continue;
    matched.push(route);
    if (!route.continue) break;
  }
  return matched;
}

export function silenceActive(silence: Silence, now: Date): boolean {
  return Date.parse(silence.startsAt) <= now.getTime() && now.getTime() < Date.parse(silence.endsAt);
}

export function silenceMatches(
  silence: Silence,
  finding: Pick<StoredFinding, 'ruleId' | 'resourceId' | 'clusterName' | 'clusterTags' | 'subscriptionId' | 'severity'>,
): boolean {
  const { ruleId, cluster, subscription, severity, tags } = silence.matchers;
  if (ruleId !== undefined && ruleId.toLowerCase() !== finding.ruleId.toLowerCase()) return false;
  if (subscription !== undefined && subscription.toLowerCase() !== finding.subscriptionId.toLowerCase()) return false;
  if (severity !== undefined && severity !== finding.severity) return false;
  if (cluster !== undefined) {
    const wanted = cluster.toLowerCase();
    const name = (parseResourceId(finding.resourceId).name ?? finding.clusterName).toLowerCase();
    if (wanted !== name && resourceKey(cluster) !== resourceKey(finding.resourceId)) return false;
  }
  return tagsMatch(tags, finding.clusterTags);
}

/** The value a finding has for each `groupBy` field, joined: one notification per distinct key. */
export function groupKeyOf(route: AlertRoute, finding: StoredFinding): string {
  return route.groupBy
    .map((field) => {
      switch (field) {
        case 'cluster':
          return resourceKey(finding.resourceId);
        case 'subscription':
          return finding.subscriptionId.toLowerCase();
        case 'ruleId':
          return finding.ruleId;
        case 'severity':
          return finding.severity;
      }
    })
    .join('|');
}
