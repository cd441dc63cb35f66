// IP addresses as text and as bytes: IPv4 dotted quads (Go's rules: no
// leading zeros) and IPv6 in Go's netip text form (RFC 5952, "::ffff:1.2.3.4"
// for IPv4-mapped). Bytes are 4 for IPv4 and 16 for IPv6, as netip.Addr holds them.

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** A dotted quad without leading zeros ("10.99.1.5"). */
export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

/** A dotted quad as a 32-bit unsigned integer; the caller has checked it with isIPv4. */
export function ipv4ToInt(address: string): number {
  const parts = address.split('.');
  return ((Number(parts[0]) << 24) | (Number(parts[1]) << 16) | (Number(parts[2]) << 8) | Number(parts[3])) >>> 0;
}

/** IPv4 or IPv6 text to 4 or 16 bytes (netip.ParseAddr without zones); undefined when it is neither. */
export function parseAddress(text: string): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  if (IPV4.test(text)) return Uint8Array.from(text.split('.').map(Number));
  if (!text.includes(':') || text.includes('%')) return undefined;
  let head = text;
  let tail4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail4 = parseAddress(text.slice(lastColon + 1));
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
export function formatAddress(b: Uint8Array): string {
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
  const hexOf = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hexOf(groups);
  return `${hexOf(groups.slice(0, bestStart))}::${hexOf(groups.slice(bestStart + bestLength))}`;
}

/** ::ffff:a.b.c.d — an IPv4 address written as IPv6. */
export function isIpv4Mapped(b: Uint8Array): boolean {
  if (b.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** 0.0.0.0 or :: */
export function isUnspecified(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}
