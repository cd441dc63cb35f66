// _shared/net: the one reader and writer of IP addresses, prefixes and
// endpoints. Go's rules, because nebula (Go) reads what we write.
import { describe, expect, it } from 'vitest';
import {
  comparePrefixes,
  formatAddress,
  formatPrefix,
  isEndpoint,
  networkOf,
  parseAddress,
  parseCidr,
  parseEndpoint,
  parsePrefix,
  prefixBytes,
  prefixWithin,
} from '../../supabase/functions/_shared/net/index.ts';
import { codeOfSync } from '../support/outcomes.ts';

describe('text forms of addresses (Go netip)', () => {
  it('IPv6 is printed as RFC 5952 / netip does', () => {
    const cases: [string, string][] = [
      ['fd00:0:0:0:0:0:0:1', 'fd00::1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
      ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
      ['::ffff:10.1.2.3', '::ffff:10.1.2.3'],
      ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ];
    for (const [input, expected] of cases) expect(formatAddress(parseAddress(input)!)).toBe(expected);
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', ':::', '1.2.3', '01.2.3.4', 'fe80::1%eth0', '1:2:3:4:5:6:7:8::']) {
      expect(parseAddress(bad)).toBeUndefined();
    }
  });
});

describe('prefixes', () => {
  it('parseCidr follows Go: IPv4 only, no leading zeros, prefix 0..32', () => {
    expect(parseCidr('10.99.1.5/24')).toEqual({ address: '10.99.1.5', prefix: 24 });
    for (const bad of ['10.99.1.5', '10.99.1.5/33', '010.1.1.1/8', '::1/128', '10.1.1/8', '10.1.1.1/08']) {
      expect(codeOfSync(() => parseCidr(bad))).toBe('validation_failed');
    }
  });

  it('parsePrefix reads either family and keeps the host bits', () => {
    expect(formatPrefix(parsePrefix('fd00:0::5/64'))).toBe('fd00::5/64');
    expect(formatPrefix(parsePrefix('10.1.1.2/16'))).toBe('10.1.1.2/16');
    for (const bad of ['fd00::5', 'fd00::5/129', '10.0.0.1/33', '10.0.0.1/+8', 'x/8', 'fe80::1%eth0/64']) {
      expect(codeOfSync(() => parsePrefix(bad))).toBe('validation_failed');
    }
    expect(codeOfSync(() => prefixBytes(null as never))).toBe('validation_failed');
  });

  it('networkOf clears the host bits in either family', () => {
    expect(networkOf({ address: '192.168.7.9', prefix: 24 })).toEqual({ address: '192.168.7.0', prefix: 24 });
    expect(networkOf({ address: '10.255.255.255', prefix: 0 })).toEqual({ address: '0.0.0.0', prefix: 0 });
    expect(networkOf({ address: 'fd00:99::1:2', prefix: 48 })).toEqual({ address: 'fd00:99::', prefix: 48 });
  });

  it('prefixWithin: inside the outer network, at least as long, same family', () => {
    expect(prefixWithin({ address: '10.99.1.5', prefix: 24 }, { address: '10.99.0.0', prefix: 16 })).toBe(true);
    expect(prefixWithin({ address: '10.99.1.5', prefix: 8 }, { address: '10.99.0.0', prefix: 16 })).toBe(false);
    expect(prefixWithin({ address: '10.98.1.5', prefix: 24 }, { address: '10.99.0.0', prefix: 16 })).toBe(false);
    expect(prefixWithin({ address: 'fd00:99::5', prefix: 64 }, { address: 'fd00:99::', prefix: 48 })).toBe(true);
    expect(prefixWithin({ address: '::ffff:10.99.1.5', prefix: 120 }, { address: '10.99.0.0', prefix: 16 })).toBe(false);
    expect(prefixWithin({ address: '1.2.3.4', prefix: 32 }, { address: '0.0.0.0', prefix: 0 })).toBe(true);
  });

  it("comparePrefixes is nebula's order: IPv4 first, then address, then length", () => {
    const sorted = ['fd00::1/64', '10.0.0.1/24', '10.0.0.1/16', '9.0.0.0/8'].map(parsePrefix).sort(comparePrefixes).map(formatPrefix);
    expect(sorted).toEqual(['9.0.0.0/8', '10.0.0.1/16', '10.0.0.1/24', 'fd00::1/64']);
  });
});

describe('endpoints', () => {
  it.each(['203.0.113.7:4242', '[::1]:4242', '[::ffff:1.2.3.4]:1', '[2001:DB8::1]:65535', 'lh.example.com:4242'])('accepts %s', (s) => {
    expect(isEndpoint(s)).toBe(true);
  });
  it.each(['[1.2.3.4]:1', '[::1]', '[::1]:0', '[fe80::1%eth0]:1', '[1::2::3]:1', '::1:4242', '10.0.0.1:65536'])('rejects %j', (s) => {
    expect(isEndpoint(s)).toBe(false);
  });
  it('parseEndpoint splits host and port; the brackets are not part of the host', () => {
    expect(parseEndpoint('[fd00::1]:4242')).toEqual({ host: 'fd00::1', port: 4242 });
    expect(parseEndpoint('lh.example.com:1')).toEqual({ host: 'lh.example.com', port: 1 });
    expect(parseEndpoint('10.0.0.1:0')).toBeUndefined();
  });
});
