// IPv4 networks as nebula v1 stores them: a 32-bit address (the host address
// for `ips`, the network for `subnets`) and a contiguous mask.
import { VidsyncError } from '../errors.ts';

export interface Cidr {
  /** Dotted quad, e.g. "10.99.1.5" (a host address is kept, not masked). */
  address: string;
  /** Mask length, 0..32. */
  prefix: number;
}

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** A dotted quad without leading zeros ("10.99.1.5"). */
export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

/** Parses "10.99.1.5/24" (Go's net.ParseCIDR rules for IPv4: no leading zeros). */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? '' : text.slice(slash + 1);
  if (!IPV4.test(address) || !/^(0|[1-9][0-9]?)$/.test(prefixText) || Number(prefixText) > 32) {
    throw new VidsyncError('validation_failed', `invalid CIDR address: ${text}`, { details: { value: text } });
  }
  return { address, prefix: Number(prefixText) };
}

export function formatCidr(c: Cidr): string {
  return `${c.address}/${c.prefix}`;
}

export function cidrFrom(value: string | Cidr): Cidr {
  return typeof value === 'string' ? parseCidr(value) : parseCidr(formatCidr(value));
}

/** The network itself: host bits cleared (what nebula-cert stores for subnets). */
export function networkOf(c: Cidr): Cidr {
  return { address: intToIpv4((ipv4ToInt(c.address) & maskOf(c.prefix)) >>> 0), prefix: c.prefix };
}

export function ipv4ToInt(address: string): number {
  const parts = address.split('.');
  return ((Number(parts[0]) << 24) | (Number(parts[1]) << 16) | (Number(parts[2]) << 8) | Number(parts[3])) >>> 0;
}

export function intToIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The prefix length of a contiguous mask, or undefined for a mask like 255.0.255.0. */
export function prefixOfMask(mask: number): number | undefined {
  const inverted = ~mask >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return undefined;
  return Math.clz32(inverted); // inverted is 2^k - 1, so its leading zeros are the prefix
}

/**
 * Nebula's netMatch: `inner` lies inside `outer` when outer's network contains
 * inner's address and inner's mask is at least as long.
 */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  const mask = maskOf(outer.prefix);
  return ((ipv4ToInt(inner.address) & mask) >>> 0) === ((ipv4ToInt(outer.address) & mask) >>> 0) && inner.prefix >= outer.prefix;
}
