import { describe, expect, it } from 'vitest';

import { loadOnce } from '../../lib/loadOnce.js';

describe('loadOnce', () => {
  it('loads on the first call only, also when calls overlap, and not before', async () => {
    let loads = 0;
    const get = loadOnce(async () => {
      loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { loads };
    });
    expect(loads).toBe(0);
    const [first, second] = await Promise.all([get(), get()]);
    expect(await get()).toBe(first);
    expect(second).toBe(first);
    expect(loads).toBe(1);
  });

  it('a failed load is not kept: the next call loads again', async () => {
    let attempts = 0;
    const get = loadOnce(() => {
      attempts += 1;
      return attempts === 1 ? Promise.reject(new Error('EMFILE')) : Promise.resolve(attempts);
    });
    await expect(get()).rejects.toThrow('EMFILE');
    expect(await get()).toBe(2);
    expect(await get()).toBe(2);
  });
});
