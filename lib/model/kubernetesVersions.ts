import semver from 'semver';

/** What `GET .../locations/{location}/kubernetesVersions` says about one minor version. */
export interface KubernetesMinorVersion {
  /** `1.31` */
  minor: string;
  isPreview: boolean;
  isDefault: boolean;
  /** Support plans (`KubernetesOfficial`, `AKSLongTermSupport`). */
  supportPlans: string[];
  /** Patch version → the versions it can upgrade to. */
  patches: Record<string, string[]>;
}

/** A version a cluster's upgrade profile offers its control plane now (`controlPlaneProfile.upgrades[]`). */
export interface OfferedUpgrade {
  version: string;
  /** The entry's `isPreview`: listed, but a preview release that is not chosen unless asked for exactly. */
  isPreview: boolean;
}

/** The Kubernetes versions AKS offers in one location. */
export interface KubernetesVersionCatalog {
  location: string;
  minors: KubernetesMinorVersion[];
}

/** `1.30.4` → `1.30`; undefined for anything that is not a version. */
export function minorOf(version: string | undefined): string | undefined {
  if (version === undefined) return undefined;
  const trimmed = version.trim();
  // `1.31` alone is a minor; anything else must be a full semantic version (`1.31.2`, `v1.31.2`).
  const parsed = /^\d+\.\d+$/.test(trimmed) ? semver.coerce(trimmed) : semver.parse(trimmed, { loose: true });
  return parsed ? `${parsed.major}.${parsed.minor}` : undefined;
}

/** Numeric order of `major.minor` strings (`1.9` < `1.10`). */
export function compareMinors(left: string, right: string): number {
  return semver.compare(`${left}.0`, `${right}.0`);
}

/** The plan a cluster without `supportPlan` is on (ManagedClusterProperties.supportPlan: "If unspecified, the default is 'KubernetesOfficial'"). */
export const DEFAULT_SUPPORT_PLAN = 'KubernetesOfficial';
/** Long-term support; it needs the Premium tier (Learn: azure/aks/long-term-support). */
export const LONG_TERM_SUPPORT_PLAN = 'AKSLongTermSupport';

/** The plan a cluster is on: its `supportPlan`, else the default. */
export function clusterSupportPlan(supportPlan: string | undefined): string {
  return supportPlan === undefined || supportPlan.trim() === '' ? DEFAULT_SUPPORT_PLAN : supportPlan;
}

/**
 * Whether a listed minor is offered with a plan. A minor listed without `capabilities.supportPlan`
 * counts as `KubernetesOfficial` (CONTRACTS.md §1). Plans compare case-insensitively, as ARM enums do.
 */
export function offersPlan(entry: Pick<KubernetesMinorVersion, 'supportPlans'>, plan: string): boolean {
  const plans = entry.supportPlans.length === 0 ? [DEFAULT_SUPPORT_PLAN] : entry.supportPlans;
  return plans.some((candidate) => candidate.toLowerCase() === plan.toLowerCase());
}
