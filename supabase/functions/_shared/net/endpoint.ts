// `host:port` endpoints, as nebula's static_host_map takes them: a DNS name,
// an IPv4 address or a bracketed IPv6 address, then a port 1-65535.
import { isIPv4, parseAddress } from './address.ts';

const HOSTNAME_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
/** A 253-character DNS name, ':' and a 5-digit port; "[IPv6]:port" is shorter. */
export const MAX_ENDPOINT_CHARS = 261;

/** `host:port` split into its parts, or undefined unless the host is a DNS name, an IPv4 address or a bracketed IPv6 address and the port is 1-65535. */
export function parseEndpoint(s: string): { host: string; port: number } | undefined {
  const m = typeof s === 'string' ? /^(\[([0-9A-Fa-f:.]+)\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(s) : null;
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535 || m[3]!.startsWith('0')) return undefined;
  const host = m[2] ?? m[1]!;
  return isHost(host, m[2] !== undefined) ? { host, port } : undefined;
}

export function isEndpoint(s: string): boolean {
  return parseEndpoint(s) !== undefined;
}

function isHost(host: string, bracketed: boolean): boolean {
  if (bracketed) return parseAddress(host)?.length === 16;
  if (/^[\d.]+$/.test(host)) return isIPv4(host); // all digits: an address or nothing
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return name.length <= 253 && name.split('.').every((label) => HOSTNAME_LABEL.test(label));
}
