/**
 * Version rules: read the cluster together with the Kubernetes versions AKS offers in its location.
 * A minor counts for a cluster only when it is listed with the cluster's support plan
 * (`supportPlan`, default `KubernetesOfficial`) among its `capabilities.supportPlan` (CONTRACTS.md
 * §1): a standard-support cluster on a minor AKS offers only as `AKSLongTermSupport` is out of
 * support. The lowest listed non-preview minor with the cluster's plan is the next to leave support.
 */
import {
  clusterSupportPlan,
  compareMinors,
  DEFAULT_SUPPORT_PLAN,
  type KubernetesVersionCatalog,
  LONG_TERM_SUPPORT_PLAN,
  minorOf,
  offersPlan,
} from '../model/kubernetesVersions.js';
import { shellWord } from '../shellWord.js';
import { azPoolTarget, azTarget, type ClusterRule, type RuleHit, type RuleInput } from './rule.js';

const SUPPORT_DOC = 'https://learn.microsoft.com/azure/aks/supported-kubernetes-versions';
const UPGRADE_DOC = 'https://learn.microsoft.com/azure/aks/upgrade-aks-cluster';
const LTS_DOC = 'https://learn.microsoft.com/azure/aks/long-term-support';

/** Minors listed with the plan, in numeric order. */
function minorsWithPlan(catalog: KubernetesVersionCatalog, plan: string): string[] {
  return catalog.minors
    .filter((entry) => offersPlan(entry, plan))
    .map((entry) => entry.minor)
    .sort(compareMinors);
}

function lowestSupportedMinor(catalog: KubernetesVersionCatalog, plan: string): string | undefined {
  return catalog.minors
    .filter((entry) => !entry.isPreview && offersPlan(entry, plan))
    .map((entry) => entry.minor)
    .sort(compareMinors)[0];
}

/** The minor to move to next: AKS never skips a minor, so the first listed with the plan after the cluster's. */
function nextListedMinor(catalog: KubernetesVersionCatalog, minor: string | undefined, plan: string): string | undefined {
  const candidates = catalog.minors
    .filter((entry) => !entry.isPreview && offersPlan(entry, plan) && (minor === undefined || compareMinors(entry.minor, minor) > 0))
    .map((entry) => entry.minor)
    .sort(compareMinors);
  return candidates[0];
}

function isLongTermSupport(plan: string): boolean {
  return plan.toLowerCase() === LONG_TERM_SUPPORT_PLAN.toLowerCase();
}

function unsupportedVersion({ cluster, versions }: RuleInput): RuleHit[] {
  if (versions === undefined) return [];
  const plan = clusterSupportPlan(cluster.supportPlan);
  const minor = minorOf(cluster.kubernetesVersion);
  const supported = minorsWithPlan(versions, plan);
  if (minor !== undefined && supported.includes(minor)) return [];
  const next = nextListedMinor(versions, minor, plan);
  const current = cluster.kubernetesVersion ?? 'an unknown version';
  const listedOtherwise = minor === undefined ? undefined : versions.minors.find((entry) => entry.minor === minor);
  // The minor is still listed, only not with this cluster's plan (an LTS-only minor on a standard cluster).
  const planNote =
    listedOtherwise === undefined
      ? `which AKS no longer supports in ${cluster.location}`
      : `which AKS offers in ${cluster.location} only with the ${(listedOtherwise.supportPlans.length === 0 ? [DEFAULT_SUPPORT_PLAN] : listedOtherwise.supportPlans).join(', ')} support plan, not the cluster's ${plan}`;
  const ltsOption =
    listedOtherwise !== undefined && !isLongTermSupport(plan) && offersPlan(listedOtherwise, LONG_TERM_SUPPORT_PLAN)
      ? ` Or keep ${minor ?? current} under long-term support (Premium tier): az aks update ${azTarget(cluster)} --tier premium --k8s-support-plan ${LONG_TERM_SUPPORT_PLAN}.`
      : '';
  return [
    {
      detail:
        `Cluster ${cluster.name} runs Kubernetes ${current}, ${planNote} ` +
        `(minors supported with ${plan}: ${supported.join(', ') || 'none listed'}). ` +
        `Upgrade one minor at a time${next ? `, starting with ${next}` : ''}: az aks get-upgrades ${azTarget(cluster)}, then az aks upgrade ${azTarget(cluster)} --kubernetes-version <version>.` +
        ltsOption,
    },
  ];
}

function endingVersion({ cluster, versions }: RuleInput): RuleHit[] {
  if (versions === undefined) return [];
  const plan = clusterSupportPlan(cluster.supportPlan);
  const minor = minorOf(cluster.kubernetesVersion);
  if (minor === undefined || minor !== lowestSupportedMinor(versions, plan)) return [];
  const next = nextListedMinor(versions, minor, plan);
  return [
    {
      detail:
        `Cluster ${cluster.name} runs Kubernetes ${cluster.kubernetesVersion ?? minor}, the oldest minor AKS still supports in ${cluster.location} with its ${plan} support plan; ` +
        `it is the next to leave support. Plan the upgrade${next ? ` to ${next}` : ''} now: az aks upgrade ${azTarget(cluster)} --kubernetes-version <version>.`,
    },
  ];
}

/** Long-term support needs the Premium tier (Learn: "Enabling LTS requires moving your cluster to the Premium tier"). */
function longTermSupportTier({ cluster }: RuleInput): RuleHit[] {
  if (!isLongTermSupport(clusterSupportPlan(cluster.supportPlan))) return [];
  if ((cluster.skuTier ?? '').toLowerCase() === 'premium') return [];
  return [
    {
      detail:
        `Cluster ${cluster.name} is on the ${LONG_TERM_SUPPORT_PLAN} support plan but its tier is ${cluster.skuTier ?? 'not set (Free)'}; long-term support needs the Premium tier, ` +
        `so its Kubernetes version gets no support past community support. Move it to Premium: az aks update ${azTarget(cluster)} --tier premium --k8s-support-plan ${LONG_TERM_SUPPORT_PLAN}; ` +
        `or leave long-term support on a minor in community support: az aks update ${azTarget(cluster)} --tier standard --k8s-support-plan ${DEFAULT_SUPPORT_PLAN}.`,
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
        `Bring them level: az aks nodepool upgrade ${azPoolTarget(cluster)} --name <pool> --kubernetes-version ${cluster.kubernetesVersion === undefined ? '<version>' : shellWord(cluster.kubernetesVersion)}`,
    },
  ];
}

export const VERSION_RULES: readonly ClusterRule[] = [
  {
    id: 'AKS-VERSION-UNSUPPORTED',
    frameworks: {},
    severity: 'critical',
    title: 'Kubernetes version is out of support',
    practice: 'Keep clusters updated',
    group: 'upgrades',
    docUrl: SUPPORT_DOC,
    needs: 'versions',
    evaluate: unsupportedVersion,
  },
  {
    id: 'AKS-VERSION-ENDING',
    frameworks: {},
    severity: 'medium',
    title: 'Kubernetes version is the next to leave support',
    practice: 'Keep clusters updated',
    group: 'upgrades',
    docUrl: SUPPORT_DOC,
    needs: 'versions',
    evaluate: endingVersion,
  },
  {
    id: 'AKS-LTS-TIER',
    frameworks: {},
    severity: 'high',
    title: 'Long-term support plan on a tier that cannot hold it',
    practice: 'Keep clusters updated',
    group: 'upgrades',
    docUrl: LTS_DOC,
    needs: 'cluster',
    evaluate: longTermSupportTier,
  },
  {
    id: 'AKS-POOL-VERSION-SKEW',
    frameworks: {},
    severity: 'low',
    title: 'Node pools run a different minor than the control plane',
    practice: 'Upgrade hygiene',
    group: 'upgrades',
    healthSignal: { name: 'pools-on-another-minor', fails: 'anyRise' },
    docUrl: UPGRADE_DOC,
    needs: 'cluster',
    evaluate: poolVersionSkew,
  },
];
