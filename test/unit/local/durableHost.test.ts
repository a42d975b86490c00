import { describe, expect, it } from 'vitest';

import { LocalDurableHost, VirtualClock } from '../../../lib/local/durableHost.js';
import { LocalFunctionsHost } from '../../../lib/local/functionsHost.js';

const ENTRY = '../../test/fixtures/durable/greeterApp.ts';

describe('local durable host', () => {
  it('runs an orchestrator through the library replay: activities, a durable timer on the virtual clock, an external event', async () => {
    const functions = await LocalFunctionsHost.load(ENTRY);
    const clock = new VirtualClock(Date.parse('2026-11-23T08:00:00.000Z'));
    const host = new LocalDurableHost(functions, clock);
    const id = host.startNew('greeter', null);
    await host.run();
    // Idle: waiting for the event, after the one-hour timer fired on the virtual clock.
    expect(host.getStatus(id)?.runtimeStatus).toBe('Running');
    expect(clock.now()).toBe(Date.parse('2026-11-23T09:00:00.000Z'));
    host.raiseEvent(id, 'go', 'bob');
    await host.run();
    expect(host.getStatus(id)).toMatchObject({ runtimeStatus: 'Completed', output: ['hello alice', 'hello bob', '2026-11-23T09:00:00.000Z'] });
    expect(host.activityExecutions).toBe(2);
  });

  it('re-runs activities whose results a crash lost, and completes the same way', async () => {
    const functions = await LocalFunctionsHost.load(ENTRY);
    const host = new LocalDurableHost(functions, new VirtualClock());
    const id = host.startNew('greeter', null);
    await host.run({ onStep: (step) => (step === 2 ? host.crash() : undefined) });
    host.raiseEvent(id, 'go', 'bob');
    await host.run();
    expect(host.getStatus(id)?.output).toEqual(['hello alice', 'hello bob', expect.any(String)]);
    expect(host.activityExecutions).toBe(3);
  });

  it('fails an instance whose replay does not match its history (non-determinism)', async () => {
    const functions = await LocalFunctionsHost.load(ENTRY);
    const { toggles } = (await import('../../fixtures/durable/greeterApp.js')) as { toggles: { nondeterministic: boolean } };
    const host = new LocalDurableHost(functions, new VirtualClock());
    const id = host.startNew('greeter', null);
    await host.run();
    toggles.nondeterministic = true;
    try {
      host.raiseEvent(id, 'go', 'bob');
      await host.run();
    } finally {
      toggles.nondeterministic = false;
    }
    expect(host.getStatus(id)?.runtimeStatus).toBe('Failed');
    expect(host.getStatus(id)?.error).toMatch(/Non-deterministic orchestrator greeter: action 0/);
  });
});
