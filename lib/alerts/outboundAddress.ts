/**
 * Outbound notifications go only to public internet addresses. A webhook URL whose host resolves to
 * a private, loopback, link-local or otherwise reserved address would turn the pipeline into an SSRF
 * path: on AKS and Functions alike, 169.254.169.254 (IMDS) hands out managed-identity tokens. The
 * check runs inside the socket's DNS lookup, so it judges the address actually connected to and a
 * name that re-resolves between validation and send (DNS rebinding) is still caught.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';

import ipaddr from 'ipaddr.js';

export const REFUSED_ADDRESS_CODE = 'EFLEETGUARD_PRIVATE_ADDRESS';

/** Public-looking addresses that are really the Azure host platform, reachable from every VM. */
const AZURE_PLATFORM_ADDRESSES = new Map([['168.63.129.16', 'the Azure platform endpoint (WireServer)']]);

/** Why the address may not be reached, or undefined when it is a public unicast address. */
export function refusedAddressReason(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'is not an IP address';
  let parsed = ipaddr.parse(address);
  // ::ffff:169.254.169.254 reaches the same IPv4 host; judge it as IPv4.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const canonical = parsed.toString();
  const platform = AZURE_PLATFORM_ADDRESSES.get(canonical);
  if (platform !== undefined) return `is ${platform}`;
  const range = parsed.range();
  if (range === 'unicast') return undefined;
  return canonical === '169.254.169.254' ? 'is the instance metadata service (IMDS)' : `is a ${range} address`;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A drop-in for `dns.lookup` in `https.request({ lookup })` that fails the connection when any
 * resolved address is not public. Error messages name the address, never the URL (a secret).
 */
export function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error !== null) return callback(error, '');
    const refused = addresses.map((entry) => ({ entry, reason: refusedAddressReason(entry.address) })).find((item) => item.reason !== undefined);
    if (refused !== undefined) {
      const failure: NodeJS.ErrnoException = new Error(`refused to connect: ${refused.entry.address} ${refused.reason ?? ''}`);
      failure.code = REFUSED_ADDRESS_CODE;
      return callback(failure, '');
    }
    if (options.all === true) return callback(null, addresses);
    const first = addresses[0];
    if (first === undefined) return callback(Object.assign(new Error(`no address for the destination host`), { code: 'ENOTFOUND' }), '');
    callback(null, first.address, first.family);
  });
}

/** IP-literal hosts skip DNS lookup entirely, so they are judged before connecting. */
export function literalHostReason(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) ? refusedAddressReason(bare) : undefined;
}
