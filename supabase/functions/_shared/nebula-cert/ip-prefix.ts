// IPv4 and IPv6 prefixes as nebula's v2 certificate holds them: Go's
// netip.Prefix, host bits kept ("10.1.1.2/16" stays as written). Text follows
// Go's netip (RFC 5952 for IPv6, "::ffff:1.2.3.4" for IPv4-mapped); bytes are
// netip.Prefix.MarshalBinary (4 or 16 address bytes, then the prefix length);
// order is nebula's comparePrefix (IPv4 before IPv6, address, then length).
import { VidsyncError } from '../errors.ts';

export interface NetworkPrefix {
  /** "10.1.1.2" or "fd00::5" (Go's netip text form). */
  address: string;
  /** 0..32 for IPv4, 0..128 for IPv6. */
  prefix: number;
}

/** A prefix with its address bytes (4 or 16). */
export interface BinaryPrefix {
  bytes: Uint8Array;
  prefix: number;
}

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** "fd00::1/64" or "10.0.0.1/24" (Go's netip.ParsePrefix; no zones). */
export function parseNetworkPrefix(text: string): BinaryPrefix {
  const bad = () => new VidsyncError('validation_failed', `invalid network prefix: ${text}`, { details: { value: text } });
  if (typeof text !== 'string') throw bad();
  const slash = text.lastIndexOf('/');
  if (slash < 0) throw bad();
  const bytes = parseIpBytes(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!bytes || !/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bytes.length * 8) throw bad();
  return { bytes, prefix: Number(prefixText) };
}

export function prefixFrom(value: string | NetworkPrefix): BinaryPrefix {
  if (typeof value === 'string') return parseNetworkPrefix(value);
  if (typeof value !== 'object' || value === null) throw new VidsyncError('validation_failed', 'a network prefix must be a string or { address, prefix }');
  return parseNetworkPrefix(`${value.address}/${value.prefix}`);
}

export function toNetworkPrefix(p: BinaryPrefix): NetworkPrefix {
  return { address: formatIpBytes(p.bytes), prefix: p.prefix };
}

export function formatNetworkPrefix(p: NetworkPrefix | BinaryPrefix): string {
  return 'bytes' in p ? `${formatIpBytes(p.bytes)}/${p.prefix}` : `${p.address}/${p.prefix}`;
}

/** IPv4 dotted quad or IPv6 text to 4 or 16 bytes; undefined when it is neither. */
export function parseIpBytes(text: string): Uint8Array | undefined {
  if (IPV4.test(text)) return Uint8Array.from(text.split('.').map(Number));
  if (!text.includes(':') || text.includes('%')) return undefined;
  let head = text;
  let tail4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail4 = parseIpBytes(text.slice(lastColon + 1));
    if (!tail4 || tail4.length !== 4) return undefined;
    head = text.slice(0, lastColon + 1) + '0:0'; // placeholder groups, replaced below
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = parseGroups(halves[0]!);
  const right = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!left || !right) return undefined;
  if (halves.length === 2 ? left.length + right.length > 7 : left.length !== 8) return undefined;
  const groups = halves.length === 2 ? [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right] : left;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 255;
  });
  if (tail4) out.set(tail4, 12);
  return out;
}

/** Go's netip.Addr.String for a 4- or 16-byte address. */
export function formatIpBytes(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (isIpv4Mapped(b)) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups = Array.from({ length: 8 }, (_, i) => (b[i * 2]! << 8) | b[i * 2 + 1]!);
  // The longest run of two or more zero groups becomes "::" (the first on a tie).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  if (bestStart < 0) return groups.map((g) => g.toString(16)).join(':');
  const hexOf = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  return `${hexOf(groups.slice(0, bestStart))}::${hexOf(groups.slice(bestStart + bestLength))}`;
}

export function isIpv4Mapped(b: Uint8Array): boolean {
  if (b.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

export function isUnspecified(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}

/** nebula's comparePrefix: IPv4 before IPv6, then address bytes, then prefix length. */
export function comparePrefixes(a: BinaryPrefix, b: BinaryPrefix): number {
  if (a.bytes.length !== b.bytes.length) return a.bytes.length - b.bytes.length;
  for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return a.bytes[i]! - b.bytes[i]!;
  return a.prefix - b.prefix;
}

/** Go's outer.Contains(inner.Addr()) && outer.Bits() <= inner.Bits(): same family required. */
export function prefixWithin(inner: BinaryPrefix, outer: BinaryPrefix): boolean {
  if (inner.bytes.length !== outer.bytes.length || inner.prefix < outer.prefix) return false;
  let bits = outer.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((inner.bytes[i]! & mask) !== (outer.bytes[i]! & mask)) return false;
  }
  return true;
}

/** netip.Prefix.MarshalBinary: address bytes, then the prefix length. */
export function encodePrefixBinary(p: BinaryPrefix): Uint8Array {
  const out = new Uint8Array(p.bytes.length + 1);
  out.set(p.bytes);
  out[p.bytes.length] = p.prefix;
  return out;
}

/** The inverse of encodePrefixBinary: 5 or 17 bytes with a prefix length in range. */
export function decodePrefixBinary(b: Uint8Array, what: string): BinaryPrefix {
  if (b.length !== 5 && b.length !== 17) throw new VidsyncError('proto_invalid', `${what}: a network is 5 or 17 bytes, found ${b.length}`);
  const prefix = b[b.length - 1]!;
  if (prefix > (b.length - 1) * 8) throw new VidsyncError('proto_invalid', `${what}: prefix length ${prefix} is too long`);
  return { bytes: b.slice(0, b.length - 1), prefix };
}
