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
