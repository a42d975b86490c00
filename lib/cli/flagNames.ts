/**
 * Messages in the words of the command line. The planner and the orchestrators are shared with the
 * HTTP API, so their reasons name the request's fields (`allowMultiMinorHops`); a person who typed
 * `fleetguard rollout` knows the flags, so the CLI writes each field as the flag that sets it.
 */

/** Rollout request fields (lib/upgrades/plan.ts) and the `fleetguard rollout` flags that set them (lib/cli/main.ts). */
const ROLLOUT_FLAGS: Readonly<Record<string, string>> = {
  allowMultiMinorHops: '--allow-multi-minor-hops',
  maxFailedClusters: '--max-failed',
  maxParallel: '--max-parallel',
  soakMinutes: '--soak-minutes',
  upgradeType: '--upgrade-type',
};

const FIELD = new RegExp(`\\b(${Object.keys(ROLLOUT_FLAGS).join('|')})\\b`, 'g');

/** `text` with each rollout request field written as its flag ("set --allow-multi-minor-hops to ..."). */
export function inRolloutFlagTerms(text: string): string {
  return text.replace(FIELD, (field) => ROLLOUT_FLAGS[field] ?? field);
}
