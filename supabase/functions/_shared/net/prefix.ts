// IP prefixes (CIDR): an address with a prefix length, host bits kept as
// written ("10.99.1.5/24" is a host address in a /24). One type for IPv4 and
// IPv6. Two text readers, because the two nebula formats differ: parseCidr is
// Go's net.ParseCIDR for IPv4 (certificate v1, project subnets), parsePrefix
// is Go's netip.ParsePrefix for either family (certificate v2).
import { VidsyncError } from '../errors.ts';
import { formatAddress, isIPv4, parseAddress } from './address.ts';

export interface Prefix {
  /** "10.99.1.5" or "fd00::5" (Go's text form). */
  address: string;
  /** 0..32 for IPv4, 0..128 for IPv6. */
  prefix: number;
}

/** A prefix with its address as bytes (4 or 16): what comparisons and wire formats use. */
export interface PrefixBytes {
  bytes: Uint8Array;
  prefix: number;
}

/** "10.99.1.5/24": IPv4 only, no leading zeros (Go's net.ParseCIDR for IPv4). */
export function parseCidr(text: string): Prefix {
  const slash = typeof text === 'string' ? text.indexOf('/') : -1;
  const address = slash < 0 ? '' : text.slice(0, slash);
  const prefixText = slash < 0 ? '' : text.slice(slash + 1);
  if (!isIPv4(address) || !/^(0|[1-9][0-9]?)$/.test(prefixText) || Number(prefixText) > 32) {
    throw new VidsyncError('validation_failed', `invalid CIDR address: ${text}`, { details: { value: text } });
  }
  return { address, prefix: Number(prefixText) };
}

/** "fd00::1/64" or "10.0.0.1/24" (Go's netip.ParsePrefix; no zones). */
export function parsePrefix(text: string): PrefixBytes {
  const bad = () => new VidsyncError('validation_failed', `invalid network prefix: ${text}`, { details: { value: text } });
  if (typeof text !== 'string') throw bad();
  const slash = text.lastIndexOf('/');
  if (slash < 0) throw bad();
  const bytes = parseAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!bytes || !/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bytes.length * 8) throw bad();
  return { bytes, prefix: Number(prefixText) };
}

/** Text or an object to bytes, checked; a malformed one is validation_failed. */
export function prefixBytes(value: string | Prefix | PrefixBytes): PrefixBytes {
  if (typeof value === 'string') return parsePrefix(value);
  if (typeof value !== 'object' || value === null) throw new VidsyncError('validation_failed', 'a network prefix must be a string or { address, prefix }');
  if ('bytes' in value) return value;
  return parsePrefix(`${value.address}/${value.prefix}`);
}

/** Bytes back to text form (Go's netip text). */
export function prefixOf(p: PrefixBytes): Prefix {
  return { address: formatAddress(p.bytes), prefix: p.prefix };
}

export function formatPrefix(p: Prefix | PrefixBytes): string {
  return 'bytes' in p ? `${formatAddress(p.bytes)}/${p.prefix}` : `${p.address}/${p.prefix}`;
}

/** The network itself: host bits cleared ("10.99.1.5/24" → "10.99.1.0/24"). */
export function networkOf(p: Prefix): Prefix {
  const { bytes, prefix } = prefixBytes(p);
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i]! &= (0xff << (8 - bits)) & 0xff;
  }
  return { address: formatAddress(out), prefix };
}

/**
 * Whether `inner` lies inside `outer`: outer's network contains inner's
 * address and inner's prefix is at least as long (nebula's netMatch in v1,
 * Contains && Bits in v2). Different families never match.
 */
export function prefixWithin(inner: Prefix | PrefixBytes, outer: Prefix | PrefixBytes): boolean {
  const a = prefixBytes(inner);
  const b = prefixBytes(outer);
  if (a.bytes.length !== b.bytes.length || a.prefix < b.prefix) return false;
  let bits = b.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a.bytes[i]! & mask) !== (b.bytes[i]! & mask)) return false;
  }
  return true;
}

/** nebula's order: IPv4 before IPv6, then address bytes, then prefix length. */
export function comparePrefixes(a: PrefixBytes, b: PrefixBytes): number {
  if (a.bytes.length !== b.bytes.length) return a.bytes.length - b.bytes.length;
  for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return a.bytes[i]! - b.bytes[i]!;
  return a.prefix - b.prefix;
}
