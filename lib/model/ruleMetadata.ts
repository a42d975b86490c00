/**
 * What every rule declares about itself, once, next to its definition: posture rules
 * (lib/posture/), the policy rule (lib/policy/) and the log detections (lib/detections/). The
 * report, the rollout health gates and the simulator read it from the catalog (lib/rules/catalog.ts)
 * instead of keeping their own lists of rule ids. It lives in the model so that the rule folders and
 * their readers share the type without importing each other.
 */
import type { Severity } from './finding.js';

/**
 * The practice groups of the fleet report, the way the seed practices group controls, so a reader
 * sees "identity" or "network" rather than dozens of rule ids. In report order.
 */
export const PRACTICE_GROUPS = ['identity', 'network', 'workload', 'secrets', 'upgrades', 'monitoring'] as const;
export type PracticeGroup = (typeof PRACTICE_GROUPS)[number];

/**
 * How the rollout health gate compares a signal after an upgrade with its pre-upgrade baseline:
 * `anyRise` fails on any increase (a state that should never get worse, such as a failed pool),
 * `clearRise` only when the count more than doubles and rises by more than 5 (noisy log counts).
 */
export type GateRise = 'anyRise' | 'clearRise';

/** A rule the rollout health gate watches. */
export interface HealthSignal {
  /** The signal's name in gate counts and halt reasons ("<name> rose from 0 to 3"). */
  name: string;
  fails: GateRise;
}

/**
 * The benchmarks a report can be read by (`fleetguard report --framework`): the CIS Azure Kubernetes
 * Service Benchmark v1.8.0, Kubescape's controls (kubescape/regolibrary, C-00xx), and the controls of
 * Kubescape's NSA framework (the NSA-CISA Kubernetes Hardening Guidance as Kubescape checks it).
 */
export const FRAMEWORKS = ['cis-aks', 'kubescape', 'nsa'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/**
 * The benchmark items a rule corresponds to, where one does; an empty list (or none) means no item of
 * that benchmark checks what the rule checks. Every id is checked against the vendored control lists
 * in test/fixtures/frameworks/ (their sources and commits are recorded there).
 */
export interface FrameworkMapping {
  /** CIS AKS Benchmark v1.8.0 recommendation numbers ("4.1.1"). */
  'cis-aks'?: readonly string[];
  /** Kubescape control ids ("C-0185"). */
  kubescape?: readonly string[];
  /** Control ids of Kubescape's NSA framework ("C-0035"). */
  nsa?: readonly string[];
}

export interface RuleMetadata {
  /** The finding's `ruleId` (CONTRACTS.md §1). */
  id: string;
  /**
   * The severity of its findings. A rule whose severity depends on what it found (POLICY-NONCOMPLIANT:
   * high for `deny`, else medium) declares the highest one.
   */
  severity: Severity;
  title: string;
  /** The seed practice it checks (CONTRACTS.md §1). */
  practice: string;
  /** The fleet report's group. */
  group: PracticeGroup;
  /** Microsoft guidance for the fix. */
  docUrl: string;
  /** Set when rollouts watch it as a health signal; absent for rules the gates ignore. */
  healthSignal?: HealthSignal;
  /** The benchmark items it corresponds to (`{}` when none does); every rule of the catalog declares it. */
  frameworks?: FrameworkMapping;
}
