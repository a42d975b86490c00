/**
 * Terminal manners (issue 17, last "Why" bullet): every `--help` marks required options and names
 * the default of every option that has one; messages name flags, not the API's request fields.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';

import { inFlagTerms, ROLLOUT_FLAGS, valuesInFlagTerms } from '../../../lib/cli/flagNames.js';
import { annotateHelp, commandPath } from '../../../lib/cli/helpTexts.js';
import { buildProgram, main } from '../../../lib/cli/main.js';
import { REHEARSAL_DEFAULTS } from '../../../lib/cli/rehearsalDefaults.js';
import { registerRolloutsCommands } from '../../../lib/cli/rolloutsCli.js';
import type { KubernetesVersionCatalog } from '../../../lib/model/kubernetesVersions.js';
import { planRollout } from '../../../lib/upgrades/plan.js';
import { compliantCluster } from '../../harness/clusters.js';
import { planRequest } from '../../harness/rolloutRequests.js';

/** Value options without a default, and why (a filter or an action that is off unless given). */
const NO_DEFAULT: Record<string, string> = {
  'rollout --snapshot': 'required',
  'rollouts start --plan': 'flags alone make the body',
  'rollouts start --target': 'the plan file may give it',
  'rollouts start --waves-by-tag': 'the plan file may give it',
  'rollouts start --max-parallel': "the app's default (server side)",
  'rollouts start --soak-minutes': "the app's default (server side)",
  'rollouts start --max-failed': "the app's default (server side)",
  'rollouts start --upgrade-type': "the app's default (server side)",
  'rollouts start --approve-wave': 'no wave waits unless named',
  'rollouts rollback --cluster': 'required unless approving',
  'rollouts rollback --approve': 'an action',
  'rollouts retry --cluster': 'every failed cluster',
  'report --snapshot': 'the configured storage unless given',
  'findings list --rule': 'a filter: every rule unless given',
  'findings list --cluster': 'a filter: every cluster unless given',
  'findings list --tag': 'a filter: any tags unless given',
};

function program(): Command {
  const built = buildProgram(() => undefined, { stdout: () => undefined, stderr: () => undefined, width: 100, env: {} });
  registerRolloutsCommands(built, () => undefined);
  annotateHelp(built);
  return built;
}

function commands(root: Command): Command[] {
  return [root, ...root.commands.flatMap(commands)];
}

describe('--help', () => {
  it('every value option of every command is marked required or names its default', () => {
    const missing: string[] = [];
    for (const command of commands(program())) {
      const help = command.helpInformation();
      for (const option of command.options) {
        if (!option.required && !option.optional) continue; // a switch: off unless given
        const key = `${commandPath(command)} ${option.long ?? ''}`;
        const line = help.slice(help.indexOf(option.flags)).split(/\n(?=\s{2}-)/)[0] ?? '';
        if (!/\(required\)|\(default[: ]/.test(line.replace(/\s+/g, ' ')) && NO_DEFAULT[key] === undefined) missing.push(key);
      }
    }
    expect(missing).toEqual([]);
  });

  it('shows the rehearsal defaults the code applies, and the required markers', async () => {
    let out = '';
    const status = await main(['node', 'fleetguard', 'rollout', '--help'], { stdout: (text) => (out += text), stderr: () => undefined, width: 200, env: {} });
    expect(status).toBe(0);
    const text = out.replace(/\s+/g, ' ');
    expect(text).toContain(`clusters upgraded at once per wave (default: ${REHEARSAL_DEFAULTS.maxParallel})`);
    expect(text).toContain(`(default: ${REHEARSAL_DEFAULTS.soakMinutes})`);
    expect(text).toContain(`failed clusters tolerated before halting (default: ${REHEARSAL_DEFAULTS.maxFailed})`);
    expect(text).toContain(`(default: ${REHEARSAL_DEFAULTS.upgradeType})`);
    expect(text).toMatch(/--target <version> .*\(required\)/);
  });
});

describe('flag names in messages', () => {
  it('a planner reason names --allow-multi-minor-hops, not the API field', () => {
    const cluster = compliantCluster({
      name: 'a',
      id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a',
      kubernetesVersion: '1.30.4',
      tags: { ring: '1' },
    });
    const catalog: KubernetesVersionCatalog = {
      location: 'northeurope',
      minors: [
        { minor: '1.30', isPreview: false, isDefault: false, supportPlans: [], patches: { '1.30.4': [] } },
        { minor: '1.31', isPreview: false, isDefault: false, supportPlans: [], patches: { '1.31.3': [] } },
        { minor: '1.32', isPreview: false, isDefault: true, supportPlans: [], patches: { '1.32.3': [] } },
      ],
    };
    const plan = planRollout([cluster], new Map([['northeurope', catalog]]), planRequest({ target: '1.32' }));
    expect(plan.excluded[0]?.reason).toContain('allowMultiMinorHops');
    const shown = valuesInFlagTerms(plan.excluded);
    expect(shown[0]?.reason).toContain('pass --allow-multi-minor-hops');
    expect(JSON.stringify(shown)).not.toContain('allowMultiMinorHops');
    expect(inFlagTerms('maxFailedClusters reached; --max-parallel unchanged')).toBe('--max-failed reached; --max-parallel unchanged');
  });

  it('every flag a message may name is an option of fleetguard rollout', () => {
    const rollout = program().commands.find((command) => command.name() === 'rollout')!;
    const flags = new Set(rollout.options.map((option) => option.long));
    for (const flag of Object.values(ROLLOUT_FLAGS)) expect([flag, flags.has(flag)]).toEqual([flag, true]);
  });
});
