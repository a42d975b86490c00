/**
 * The alert vendors: the routing document's receiver types, the renderers, the drain and the
 * local sink all come from here. The list itself is `./registered.ts`, one line per vendor.
 */
import type { PlannedNotification } from '../alert.js';
import type { RenderedMessage } from '../notifiers/common.js';
import * as registered from './registered.js';
import type { AlertVendor, VendorReceiver } from './vendor.js';

type Registered = (typeof registered)[keyof typeof registered];

/** Every registered vendor, by name. */
export const VENDORS: readonly Registered[] = Object.values(registered);

/** Every vendor's receiver type, discriminated by `type`. */
export type AlertReceiver = ReturnType<Registered['receiver']>;

export type VendorName = Registered['name'];

/** A vendor with its types erased, as the pipeline handles any of them. */
export type AnyVendor = AlertVendor<string, { name: string; type: string }, VendorReceiver>;

const BY_NAME: ReadonlyMap<string, AnyVendor> = new Map(VENDORS.map((vendor) => [vendor.name, vendor as AnyVendor]));

export const VENDOR_NAMES = VENDORS.map((vendor) => vendor.name) as [VendorName, ...VendorName[]];

/** The registered vendor of this name (a receiver's `type`, an outbox message's `kind`), if any. */
export function findVendor(name: string): AnyVendor | undefined {
  return BY_NAME.get(name);
}

/** The vendor of a receiver the routing document accepted: always registered. */
export function vendorOf(receiver: { type: string }): AnyVendor {
  const vendor = BY_NAME.get(receiver.type);
  if (vendor === undefined) throw new Error(`no alert vendor '${receiver.type}' is registered`);
  return vendor;
}

/** The messages one planned notification becomes for its receiver's vendor. */
export function renderNotification(notification: PlannedNotification, receiver: { type: string }): RenderedMessage[] {
  return vendorOf(receiver).render(notification);
}
