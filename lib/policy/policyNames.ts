/**
 * Display names of the policy definitions and initiatives a sweep's findings name, resolved once
 * per sweep (lib/sweep/policyStage.ts) and used by the finding texts. Pure: the lookup is a port.
 * A definition without a known name is written by its name segment (a GUID for built-ins), as
 * before names were resolved; the id stays in the finding's subject and detail either way.
 */
import type { PolicyDefinitionName, PolicyStateRecord } from '../model/policyState.js';

/** Names by lower-cased id. */
export type PolicyNames = ReadonlyMap<string, PolicyDefinitionName>;

export const NO_POLICY_NAMES: PolicyNames = new Map();

export function policyNames(names: readonly PolicyDefinitionName[]): PolicyNames {
  return new Map(names.map((name) => [name.id.toLowerCase(), name]));
}

/** The definition and initiative ids the states name, lower-cased, sorted, once each. */
export function policyIdsOf(states: readonly PolicyStateRecord[]): string[] {
  const ids = new Set<string>();
  for (const state of states) {
    if (state.policyDefinitionId !== '') ids.add(state.policyDefinitionId.toLowerCase());
    if (state.policySetDefinitionId !== undefined && state.policySetDefinitionId !== '') ids.add(state.policySetDefinitionId.toLowerCase());
  }
  return [...ids].sort();
}

/** The display name of an id, if resolved. */
export function displayNameOf(names: PolicyNames, id: string | undefined): string | undefined {
  return id === undefined || id === '' ? undefined : names.get(id.toLowerCase())?.displayName;
}
