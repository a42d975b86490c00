/**
 * Least privilege for the AKS runCommand fallback (issue 16): infra/modules/inClusterRunCommand.bicep
 * grants exactly the two actions the fallback calls (lib/infra/requiredActions.ts, role
 * inClusterRunCommand: runCommand/action and commandResults/read, Learn "Access a private AKS cluster
 * using the command invoke or Run command feature"), nothing else, and only when main.bicep's
 * grantInClusterRunCommand is set (off by default, as FLEETGUARD_IN_CLUSTER_RUN_COMMAND is).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { IN_CLUSTER_RUN_COMMAND_ACTIONS } from '../../lib/infra/requiredActions.js';
import { packageRoot } from '../../lib/packageRoot.js';

const root = packageRoot();
const BICEP = readFileSync(path.join(root, 'infra', 'modules', 'inClusterRunCommand.bicep'), 'utf8');

/** The `var <name> = [ 'a' 'b' ]` string array of a Bicep file, one item per line. */
function stringArray(text: string, name: string): string[] {
  const start = text.indexOf(`var ${name} = [`);
  if (start < 0) return [];
  const body = text.slice(start, text.indexOf('\n]', start));
  return [...body.matchAll(/^\s+'([^']+)'$/gm)].map((match) => match[1] ?? '');
}

describe('the runCommand role (infra/modules/inClusterRunCommand.bicep)', () => {
  it('grants exactly the runCommand and commandResults actions the code calls, and no data action', () => {
    expect([...IN_CLUSTER_RUN_COMMAND_ACTIONS].sort()).toEqual([
      'Microsoft.ContainerService/managedClusters/commandResults/read',
      'Microsoft.ContainerService/managedClusters/runCommand/action',
    ]);
    expect(stringArray(BICEP, 'inClusterRunCommandActions').sort()).toEqual([...IN_CLUSTER_RUN_COMMAND_ACTIONS].sort());
    expect(BICEP).toContain('permissions: [{ actions: inClusterRunCommandActions, notActions: [], dataActions: [], notDataActions: [] }]');
    expect(BICEP).toContain('assignableScopes: [subscription().id]');
  });

  it('is wired into main.bicep behind grantInClusterRunCommand (off by default), per swept subscription', () => {
    const main = readFileSync(path.join(root, 'infra', 'main.bicep'), 'utf8');
    expect(main).toContain('param grantInClusterRunCommand bool = false');
    expect(main).toMatch(
      /module inClusterRunCommand 'modules\/inClusterRunCommand\.bicep' = \[\s+for subscriptionId in \(grantInClusterRunCommand \? sweptSubscriptionsLower : \[\]\):/,
    );
  });
});
