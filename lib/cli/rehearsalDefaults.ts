/**
 * What `fleetguard rollout` uses for a flag not given (CONTRACTS.md §4). A module of its own so
 * `--help` (helpTexts.ts) shows them without loading the rehearsal.
 */
export const REHEARSAL_DEFAULTS = { maxParallel: 2, soakMinutes: 10, maxFailed: 0, upgradeType: 'Full' } as const;
