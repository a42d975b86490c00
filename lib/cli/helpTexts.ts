/**
 * `--help` that says what happens when an option is left out: every required option is marked
 * `(required)` and every option with a default names it. Defaults that are commander defaults show
 * on their own; the others come from the configuration or the code that applies them, so they are
 * written here, next to one another, and a test walks every command's help for them
 * (test/unit/cli/helpTexts.test.ts).
 */
import type { Command, Option } from 'commander';

import { REHEARSAL_DEFAULTS } from './rehearsalDefaults.js';

const CONCURRENCY = 'FLEETGUARD_SWEEP_CONCURRENCY, else 8';
const SUBSCRIPTIONS = 'FLEETGUARD_SUBSCRIPTIONS, else every enabled subscription visible';

/** Defaults by command path (`snapshot capture`) and long flag. */
export const OPTION_DEFAULTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  sweep: { '--snapshot': 'live Azure', '--subscription': SUBSCRIPTIONS, '--concurrency': CONCURRENCY },
  rollout: {
    '--max-parallel': String(REHEARSAL_DEFAULTS.maxParallel),
    '--soak-minutes': String(REHEARSAL_DEFAULTS.soakMinutes),
    '--max-failed': String(REHEARSAL_DEFAULTS.maxFailed),
    '--upgrade-type': REHEARSAL_DEFAULTS.upgradeType,
    '--inject-anomaly': 'none',
    '--inject-failure': 'none',
  },
  report: { '--framework': 'cis-aks' },
  'snapshot capture': { '--subscription': SUBSCRIPTIONS, '--concurrency': CONCURRENCY },
  'silence create': { '--rule': 'any rule', '--cluster': 'any cluster', '--tag': 'any tags' },
};

/** `snapshot capture` for the command `capture` under `snapshot`; the program itself is ''. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}

/** Whether the option's help line already names a default (commander's own, or written in its description). */
function namesDefault(command: Command, option: Option): boolean {
  return /\(default[: ]/.test(command.createHelp().optionDescription(option));
}

/** Marks required options and appends the defaults above, on every command under `program`. */
export function annotateHelp(program: Command): void {
  const visit = (command: Command) => {
    const defaults = OPTION_DEFAULTS[commandPath(command)] ?? {};
    for (const option of command.options) {
      if (option.mandatory && !option.description.includes('(required)')) option.description = `${option.description} (required)`;
      const text = option.long === undefined ? undefined : defaults[option.long];
      if (text !== undefined && !namesDefault(command, option)) option.description = `${option.description} (default: ${text})`;
    }
    command.commands.forEach(visit);
  };
  visit(program);
}
