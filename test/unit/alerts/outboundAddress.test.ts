import { describe, expect, it } from 'vitest';

import { destinationProblem } from '../../../lib/alerts/destinations.js';
import { literalHostReason, refusedAddressReason } from '../../../lib/alerts/outboundAddress.js';

describe('outbound address guard', () => {
  it.each([
    ['169.254.169.254', /instance metadata service/],
    ['::ffff:169.254.169.254', /instance metadata service/],
    ['168.63.129.16', /WireServer/],
    ['127.0.0.1', /loopback/],
    ['::1', /loopback/],
    ['10.1.2.3', /private/],
    ['172.16.5.4', /private/],
    ['192.168.1.1', /private/],
    ['::ffff:10.0.0.1', /private/],
    ['169.254.1.1', /linkLocal/],
    ['fe80::1', /linkLocal/],
    ['fd00::1', /uniqueLocal/],
    ['100.64.0.1', /carrierGradeNat/],
    ['0.0.0.0', /unspecified/],
    ['224.0.0.1', /multicast/],
  ])('refuses %s', (address, reason) => {
    expect(refusedAddressReason(address)).toMatch(reason);
  });

  it.each(['20.50.2.1', '52.239.1.1', '2603:1030::1', '104.18.0.1'])('allows the public address %s', (address) => {
    expect(refusedAddressReason(address)).toBeUndefined();
  });

  it('judges bracketed IPv6 and dotted hosts as URLs present them, and ignores names', () => {
    expect(literalHostReason('[::1]')).toMatch(/loopback/);
    expect(literalHostReason(new URL('https://0x7f.1/hook').hostname)).toMatch(/loopback/);
    expect(literalHostReason(new URL('https://2852039166/').hostname)).toMatch(/metadata/);
    expect(literalHostReason('hooks.example.com')).toBeUndefined();
  });

  it('rejects IP-literal private destinations when the routing document is read, even if allow-listed', () => {
    expect(destinationProblem('https://169.254.169.254/metadata/identity/oauth2/token', ['169.254.169.254'], 'host is not in webhookAllowedHosts')).toMatch(
      /instance metadata/,
    );
    expect(destinationProblem('https://[fd00::5]/hook', ['[fd00::5]', 'fd00::5'], 'host is not in webhookAllowedHosts')).toMatch(/uniqueLocal/);
    expect(destinationProblem('https://hooks.example.com/x', ['hooks.example.com'], 'host is not in webhookAllowedHosts')).toBeUndefined();
  });
});
