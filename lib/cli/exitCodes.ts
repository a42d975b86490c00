/**
 * The exit statuses of `fleetguard` and the one mapping from a failure to its status (README,
 * "Command line"): scripts and CI jobs branch on them, so every command answers the same status
 * for the same kind of failure.
 */
import { describeError, type FailureReason, FleetGuardError } from '../errors.js';

export const EXIT = {
  /** The command did its work (a sweep also when part of it failed: see its `errors`). */
  ok: 0,
  /** It could not do its work: Azure or storage failed, or no credential could sign in. */
  failed: 1,
  /** Unusable input: a flag, a setting or an input file; one line on stderr names it. */
  badInput: 2,
  /** Partly done (`snapshot capture`: something is named as failed). */
  partial: 3,
} as const;

/** Reasons that are the caller's input, not the world's state. */
const INPUT_REASONS: ReadonlySet<FailureReason> = new Set(['badInput', 'config']);

/** The exit status of a command that threw `error`. */
export function exitCodeOfError(error: unknown): number {
  return error instanceof FleetGuardError && INPUT_REASONS.has(error.reason) ? EXIT.badInput : EXIT.failed;
}

/**
 * The one line on stderr for a command that threw `error`: the reason first when it is
 * `authentication`, so a script (or a person) sees at once that nothing reached Azure.
 */
export function errorLine(error: unknown): string {
  const prefix = error instanceof FleetGuardError && error.reason === 'authentication' ? 'authentication: ' : '';
  return `fleetguard: ${prefix}${describeError(error)}`;
}

/**
 * What to do when DefaultAzureCredential found no way to sign in: the ways it tries, in the order
 * of https://learn.microsoft.com/azure/developer/javascript/sdk/authentication/credential-chains
 * ("DefaultAzureCredential overview").
 */
export const AUTHENTICATION_FIX =
  'no Azure credential could sign in: run `az login` (a terminal), or run where a managed identity is assigned (set AZURE_CLIENT_ID to the client id of a user-assigned one), or set AZURE_TENANT_ID/AZURE_CLIENT_ID with a secret or certificate; --verbose shows what each credential answered';
