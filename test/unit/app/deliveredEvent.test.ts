import { describe, expect, it } from 'vitest';

import { subscriptionScope } from '../../../lib/app/deliveredEvent.js';
import type { FleetReader } from '../../../lib/sweep/fleetReader.js';

const A = 'AAAAAAAA-0000-0000-0000-000000000000';
const B = 'bbbbbbbb-0000-0000-0000-000000000000';

/** A fleet reader whose subscription list the test sets, counting the lists. */
function fleet(initial: string[]) {
  const state = { ids: initial, lists: 0, fail: false };
  const reader = {
    listSubscriptionIds: () => {
      state.lists += 1;
      return state.fail ? Promise.reject(new Error('ARM is down')) : Promise.resolve([...state.ids]);
    },
  } as unknown as FleetReader;
  return { reader, state };
}

describe('subscriptionScope', () => {
  it('is FLEETGUARD_SUBSCRIPTIONS, without case, when set: no ARM call', async () => {
    const { reader, state } = fleet([B]);
    const inScope = subscriptionScope([A.toLowerCase()], reader);
    expect(await inScope(A)).toBe(true);
    expect(await inScope(B)).toBe(false);
    expect(state.lists).toBe(0);
  });

  it('is the subscriptions the identity lists when unset; a foreign id costs at most one list a minute; a new one counts within a minute', async () => {
    const { reader, state } = fleet([A]);
    let now = 0;
    const inScope = subscriptionScope([], reader, () => now);
    expect(await inScope(A.toLowerCase())).toBe(true);
    for (let index = 0; index < 50; index += 1) expect(await inScope(B)).toBe(false);
    expect(state.lists).toBe(1);
    state.ids = [A, B];
    now += 61_000;
    expect(await inScope(B)).toBe(true);
    expect(state.lists).toBe(2);
  });

  it('does not keep a failed list: the event fails (and is retried), the next one asks again', async () => {
    const { reader, state } = fleet([A]);
    state.fail = true;
    const inScope = subscriptionScope([], reader, () => 0);
    await expect(inScope(A)).rejects.toThrow(/ARM is down/);
    state.fail = false;
    expect(await inScope(A)).toBe(true);
  });
});
