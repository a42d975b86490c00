/**
 * `fleetguard rollout` in the words of its flags (issue 17: messages named `allowMultiMinorHops`
 * instead of `--allow-multi-minor-hops`).
 * The local modes port answers a fixed outcome: what runs is the command's own output.
 */
import { describe, expect, it } from 'vitest';

import { inFlagTerms } from '../../../lib/cli/flagNames.js';
import type { LocalModes } from '../../../lib/cli/localModes.js';
import { rolloutCommand } from '../../../lib/cli/rolloutCommand.js';
import type { RolloutOutcome } from '../../../lib/upgrades/orchestrators.js';

const WEB_DEV = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev';

function fixedRehearsal(outcome: RolloutOutcome, calls: string[]) {
  return () =>
    Promise.resolve({
      rehearse: (snapshot: string, options: { onStep?: (step: number) => void }) => {
        calls.push(snapshot);
        // The durable host calls onStep between its steps.
        for (const step of [1, 2, 3]) options.onStep?.(step);
        return Promise.resolve({ outcome, stats: { virtualMinutes: 0, replays: 0, activities: 0 }, local: { close: () => Promise.resolve() } });
      },
    } as unknown as LocalModes);
}

const OPTIONS = { snapshot: 'fleet', target: '1.32', wavesByTag: 'ring' };

describe('fleetguard rollout messages', () => {
  it('writes request fields as the flags that set them', () => {
    expect(inFlagTerms('1.30.4 → 1.32.3 crosses 2 minors; AKS upgrades one minor at a time (set allowMultiMinorHops to plan consecutive hops)')).toBe(
      '1.30.4 → 1.32.3 crosses 2 minors; AKS upgrades one minor at a time (pass --allow-multi-minor-hops to plan consecutive hops)',
    );
    expect(inFlagTerms('wave 0: 1 failed clusters exceed maxFailedClusters 0')).toBe('wave 0: 1 failed clusters exceed --max-failed 0');
    expect(inFlagTerms('web-dev: maxFailedClustersX stays')).toBe('web-dev: maxFailedClustersX stays');
  });

  it('the human output and the nothing-upgraded line name flags, not API fields', async () => {
    const calls: string[] = [];
    const outcome: RolloutOutcome = {
      status: 'Completed',
      haltReason: null,
      waves: [],
      excluded: [
        {
          resourceId: WEB_DEV,
          reason: '1.30.4 → 1.32.3 crosses 2 minors; AKS upgrades one minor at a time (set allowMultiMinorHops to plan consecutive hops)',
        },
      ],
    };
    let stdout = '';
    const stderr: string[] = [];
    const status = await rolloutCommand(OPTIONS, { stdout: (text) => (stdout += `${text}\n`), width: undefined }, {}, fixedRehearsal(outcome, calls), (line) =>
      stderr.push(line),
    );
    expect(status).toBe(1);
    expect(stdout).toContain(
      'excluded web-dev: 1.30.4 → 1.32.3 crosses 2 minors; AKS upgrades one minor at a time (pass --allow-multi-minor-hops to plan consecutive hops)',
    );
    expect(`${stdout}${stderr.join('\n')}`).not.toContain('allowMultiMinorHops');
  });

  it("shows the rehearsal's steps on a terminal and clears the line before the result", async () => {
    const outcome: RolloutOutcome = { status: 'Completed', haltReason: null, waves: [], excluded: [] };
    const events: string[] = [];
    const ticker = { tick: (label: string) => events.push(label), done: () => events.push('cleared') };
    await rolloutCommand(
      OPTIONS,
      { stdout: (text) => events.push(`stdout: ${text.split('\n')[0] ?? ''}`), width: undefined },
      {},
      fixedRehearsal(outcome, []),
      () => undefined,
      ticker,
    );
    expect(events.slice(0, 4)).toEqual([
      'rehearsing on the local durable host: step 1',
      'rehearsing on the local durable host: step 2',
      'rehearsing on the local durable host: step 3',
      'cleared',
    ]);
    expect(events[4]).toMatch(/^stdout: /);
  });
});
