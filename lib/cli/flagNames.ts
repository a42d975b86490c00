/**
 * Messages of the rollout planner and orchestration name the HTTP API's request fields
 * (`allowMultiMinorHops`), which is right for API callers. On the command line the same setting is
 * a flag (`--allow-multi-minor-hops`): the CLI rewrites the field names in what it prints, so a
 * message never tells a CLI user to set something they cannot type.
 */

/** Request fields of a rollout (lib/upgrades/rolloutsApi.ts) and the `fleetguard rollout` flag that sets each. */
export const ROLLOUT_FLAGS: Readonly<Record<string, string>> = {
  allowMultiMinorHops: '--allow-multi-minor-hops',
  maxParallel: '--max-parallel',
  soakMinutes: '--soak-minutes',
  maxFailedClusters: '--max-failed',
  upgradeType: '--upgrade-type',
  wavesByTag: '--waves-by-tag',
};

/** The text with each field name written as its flag (`set allowMultiMinorHops` → `pass --allow-multi-minor-hops`). */
export function inFlagTerms(text: string, flags: Readonly<Record<string, string>> = ROLLOUT_FLAGS): string {
  let result = text;
  for (const [field, flag] of Object.entries(flags)) {
    result = result.replace(new RegExp(`\\bset ${field}\\b`, 'g'), `pass ${flag}`).replace(new RegExp(`(?<![-\\w])${field}\\b`, 'g'), flag);
  }
  return result;
}

/** Every string value of a JSON-shaped value in flag terms; keys are left as they are. */
export function valuesInFlagTerms<T>(value: T, flags: Readonly<Record<string, string>> = ROLLOUT_FLAGS): T {
  return JSON.parse(JSON.stringify(value), (_key, item: unknown) => (typeof item === 'string' ? inFlagTerms(item, flags) : item)) as T;
}
