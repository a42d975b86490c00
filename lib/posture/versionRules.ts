/**
 * Version rules: read the cluster together with the Kubernetes versions AKS offers in its location.
 * A minor that the location no longer lists is out of support; the lowest listed non-preview minor
 * is the next to leave support.
 */
import { compareMinors, type KubernetesVersionCatalog, minorOf } from '../model/kubernetesVersions.js';
import { azTarget, type ClusterRule, type RuleHit, type RuleInput } from './rule.js';

const SUPPORT_DOC = 'https://learn.microsoft.com/azure/aks/supported-kubernetes-versions';
const UPGRADE_DOC = 'https://learn.microsoft.com/azure/aks/upgrade-aks-cluster';

function listedMinors(catalog: KubernetesVersionCatalog): string[] {
  return catalog.minors.map((entry) => entry.minor);
}

function lowestSupportedMinor(catalog: KubernetesVersionCatalog): string | undefined {
  return catalog.minors
    .filter((entry) => !entry.isPreview)
    .map((entry) => entry.minor)
    .sort(compareMinors)[0];
}

/** The minor to move to next: AKS never skips a minor, so the one right after the cluster's, if listed. */
function nextListedMinor(catalog: KubernetesVersionCatalog, minor: string | undefined): string | undefined {
  const candidates = catalog.minors
    .filter((entry) => !entry.isPreview && (minor === undefined || compareMinors(entry.minor, minor) > 0))
    .map((entry) => entry.minor)
    .sort(compareMinors);
  return candidates[0];
}

function unsupportedVersion({ cluster, versions }: RuleInput): RuleHit[] {
  if (versions === undefined) return [];
  const minor = minorOf(cluster.kubernetesVersion);
  if (minor !== undefined && listedMinors(versions).includes(minor)) return [];
  const next = nextListedMinor(versions, minor);
  const current = cluster.kubernetesVersion ?? 'an unknown version';
  return [
    {
      detail:
        `Cluster ${cluster.name} runs Kubernetes ${current}, which AKS no longer supports in ${cluster.location} ` +
        `(supported minors: ${listedMinors(versions).sort(compareMinors).join(', ') || 'none listed'}). ` +
        `Upgrade one minor at a time${next ? `, starting with ${next}` : ''}: az aks get-upgrades ${azTarget(cluster)}, then az aks upgrade ${azTarget(cluster)} --kubernetes-version <version>.`,
    },
  ];
}

function endingVersion({ cluster, versions }: RuleInput): RuleHit[] {
  if (versions === undefined) return [];
  const minor = minorOf(cluster.kubernetesVersion);
  if (minor === undefined || minor !== lowestSupportedMinor(versions)) return [];
  const next = nextListedMinor(versions, minor);
  return [
    {
      detail:
        `Cluster ${cluster.name} runs Kubernetes ${cluster.kubernetesVersion ?? minor}, the oldest minor AKS still supports in ${cluster.location}; ` +
        `it is the next to leave support. Plan the upgrade${next ? ` to ${next}` : ''} now: az aks upgrade ${azTarget(cluster)} --kubernetes-version <version>.`,
    },
  ];
}

function poolVersionSkew({ cluster }: RuleInput): RuleHit[] {
  const controlPlaneMinor = minorOf(cluster.kubernetesVersion);
  if (controlPlaneMinor === undefined) return [];
  const skewed = cluster.agentPools.filter((pool) => {
    const poolMinor = minorOf(pool.version);
    return poolMinor !== undefined && poolMinor !== controlPlaneMinor;
  });
  if (skewed.length === 0) return [];
  const pools = skewed.map((pool) => `${pool.name} (${pool.version ?? '?'})`).join(', ');
  return [
    {
      detail:
        `Cluster ${cluster.name}: control plane is on ${cluster.kubernetesVersion ?? controlPlaneMinor} but node pools ${pools} are on another minor. ` +
        `Bring them level: az aks nodepool upgrade ${azTarget(cluster).replace('-n ', '--cluster-name ')} --name <pool> --kubernetes-version ${cluster.kubernetesVersion ?? '<version>'}`,
    },
  ];
}

export const VERSION_RULES: readonly ClusterRule[] = [
  {
    id: 'AKS-VERSION-UNSUPPORTED',
    severity: 'critical',
    title: 'Kubernetes version is out of support',
    practice: 'Keep clusters updated',
    docUrl: SUPPORT_DOC,
    needs: 'versions',
    evaluate: unsupportedVersion,
  },
  {
    id: 'AKS-VERSION-ENDING',
    severity: 'medium',
    title: 'Kubernetes version is the next to leave support',
    practice: 'Keep clusters updated',
    docUrl: SUPPORT_DOC,
    needs: 'versions',
    evaluate: endingVersion,
  },
  {
    id: 'AKS-POOL-VERSION-SKEW',
    severity: 'low',
    title: 'Node pools run a different minor than the control plane',
    practice: 'Upgrade hygiene',
    docUrl: UPGRADE_DOC,
    needs: 'cluster',
    evaluate: poolVersionSkew,
  },
];
