import { describe, expect, it } from 'vitest';

import { LocalDurableHost, VirtualClock } from '../../../tooling/local/durableHost.js';
import { LocalFunctionsHost } from '../../../tooling/local/functionsHost.js';

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

describe('virtual clock', () => {
  it('a sleep passes its time at once; sleeps started together end together, not one after the other', async () => {
    const clock = new VirtualClock(0);
    await clock.sleep(40);
    expect(clock.now()).toBe(40);
    await Promise.all([clock.sleep(100), clock.sleep(100), clock.sleep(30)]);
    expect(clock.now()).toBe(140);
  });
});

describe('local durable host: callActivityWithRetry as the Durable extension runs it', () => {
  const RETRY_ENTRY = ENTRY;
  /** The fixture's counters (import it after the host loaded it, so its registrations are captured). */
  const load = async () => (await import('../../fixtures/durable/retryApp.js')) as { failures: { count: number; calls: number; alwaysFor: string[] } };

  it('retries after exponential durable timers, each attempt and each timer taking a task id, then succeeds', async () => {
    const functions = await LocalFunctionsHost.load(RETRY_ENTRY);
    const { failures } = await load();
    Object.assign(failures, { count: 2, calls: 0, alwaysFor: [] });
    const clock = new VirtualClock(Date.parse('2026-11-23T08:00:00.000Z'));
    const host = new LocalDurableHost(functions, clock);
    const id = host.startNew('retrier', null);
    await host.run();
    // Attempt 1 fails, 1 min, attempt 2 fails, 2 min, attempt 3 succeeds; the second call succeeds at once.
    expect(host.getStatus(id)).toMatchObject({ runtimeStatus: 'Completed', output: ['ok a', 'steady b', 'ok c', 'steady d', 3] });
    expect(failures.calls).toBe(4);
  });

  it('after the last attempt and its timer the task fails into the orchestrator, which goes on', async () => {
    const functions = await LocalFunctionsHost.load(RETRY_ENTRY);
    const { failures } = await load();
    // The first call fails twice and succeeds on attempt 3; the second call fails all 3 attempts.
    Object.assign(failures, { count: 2, calls: 0, alwaysFor: ['c'] });
    const host = new LocalDurableHost(functions, new VirtualClock(Date.parse('2026-11-23T08:00:00.000Z')));
    const id = host.startNew('retrier', null);
    await host.run();
    // 1 + 2 (first call), then 1 + 2 + 4 (second call, a timer after its last attempt too).
    expect(host.getStatus(id)?.error).toBeUndefined();
    expect(host.getStatus(id)).toMatchObject({ runtimeStatus: 'Completed', output: ['ok a', 'steady b', 'gave up: flaky failed call 6', 'steady d', 10] });
    expect(failures.calls).toBe(6);
  });

  it('a crash between attempts loses no retry: the lost attempt runs again and the outcome is the same', async () => {
    const functions = await LocalFunctionsHost.load(RETRY_ENTRY);
    const { failures } = await load();
    Object.assign(failures, { count: 2, calls: 0, alwaysFor: [] });
    const host = new LocalDurableHost(functions, new VirtualClock(Date.parse('2026-11-23T08:00:00.000Z')));
    const id = host.startNew('retrier', null);
    let crashes = 0;
    let seen = 0;
    await host.run({
      onStep: () => {
        if (host.activityExecutions > seen && crashes < 3) {
          crashes += 1;
          host.crash();
        }
        seen = host.activityExecutions;
      },
    });
    expect(crashes).toBe(3);
    expect(host.getStatus(id)).toMatchObject({ runtimeStatus: 'Completed', output: ['ok a', 'steady b', 'ok c', 'steady d', expect.any(Number)] });
  });
});

describe('durable client shim', () => {
  it('answers 410 Gone to an event or a terminate for an instance that ended, 404 for one that never existed, as the extension HTTP API does', async () => {
    const { startDurableClientShim } = await import('../../../tooling/local/durableClientShim.js');
    const functions = await LocalFunctionsHost.load(ENTRY);
    const host = new LocalDurableHost(functions, new VirtualClock());
    const id = host.startNew('greeter', null);
    await host.run();
    host.raiseEvent(id, 'go', 'bob');
    await host.run();
    expect(host.getStatus(id)?.runtimeStatus).toBe('Completed');
    const shim = await startDurableClientShim(host);
    try {
      const base = String(shim.clientData['rpcBaseUrl']);
      // Learn "HTTP API reference" (https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-http-api): raise event and
      // terminate answer 410 Gone for an instance that completed or failed, 404 for an unknown one; durable-functions 3.5.0 DurableClient
      // raiseEvent/terminate take 410 as a normal answer.
      expect((await fetch(`${base}instances/${id}/raiseEvent/abort`, { method: 'POST', body: '{}' })).status).toBe(410);
      expect((await fetch(`${base}instances/${id}/terminate?reason=x`, { method: 'POST' })).status).toBe(410);
      expect((await fetch(`${base}instances/nobody/raiseEvent/abort`, { method: 'POST', body: '{}' })).status).toBe(404);
    } finally {
      await shim.close();
    }
  });
});
