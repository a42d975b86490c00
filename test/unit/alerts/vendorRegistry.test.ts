import { describe, expect, it } from 'vitest';

import { findVendor, VENDOR_NAMES, VENDORS } from '../../../lib/alerts/vendors/index.js';
import { slack } from '../../../lib/alerts/vendors/slack/index.js';
import type { AlertVendor } from '../../../lib/alerts/vendors/vendor.js';

describe('alert vendor registry', () => {
  it('lists each vendor once, by the name its receivers and outbox messages use', () => {
    expect(new Set(VENDOR_NAMES).size).toBe(VENDORS.length);
    for (const vendor of VENDORS) expect(findVendor(vendor.name)).toBe(vendor);
    expect(findVendor('email')).toBeUndefined();
  });

  it('a vendor that does not declare its delivery guarantee does not compile', () => {
    const { deliveryGuarantee, ...undeclared } = slack;
    // @ts-expect-error -- `deliveryGuarantee` is required: the drain's at-most-once / at-least-once choice comes from it.
    const vendor: AlertVendor<'slack', { name: string; type: 'slack'; webhookUrlSetting: string }, ReturnType<typeof slack.receiver>> = undeclared;
    // @ts-expect-error -- only the two guarantees exist.
    const guessed: AlertVendor['deliveryGuarantee'] = 'exactly-once';
    expect([vendor.name, deliveryGuarantee, guessed]).toEqual(['slack', 'at-most-once', 'exactly-once']);
  });
});
