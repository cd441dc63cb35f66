// Rendering a certificate the way `nebula-cert print` (1.6.1) does: `-json`
// gives Go's json.Marshal of a map (keys sorted, <>& escaped, times RFC 3339);
// the plain form is NebulaCertificate.String(). Times are rendered in UTC,
// which is what nebula-cert prints when TZ is UTC.
import { toHex } from './bytes.ts';
import { fingerprint, type NebulaCertificate } from './certificate.ts';
import { formatCidr } from './cidr.ts';

/** The object `nebula-cert print -json` prints, keys in Go's (sorted) order. */
export interface NebulaCertificateJson {
  details: {
    groups: string[];
    ips: string[];
    isCa: boolean;
    issuer: string;
    name: string;
    notAfter: string;
    notBefore: string;
    publicKey: string;
    subnets: string[];
  };
  fingerprint: string;
  signature: string;
}

export async function certificateToNebulaJson(cert: NebulaCertificate): Promise<NebulaCertificateJson> {
  const d = cert.details;
  return {
    details: {
      groups: [...d.groups],
      ips: d.ips.map(formatCidr),
      isCa: d.isCA,
      issuer: d.issuer,
      name: d.name,
      notAfter: rfc3339(d.notAfter),
      notBefore: rfc3339(d.notBefore),
      publicKey: toHex(d.publicKey),
      subnets: d.subnets.map(formatCidr),
    },
    fingerprint: await fingerprint(cert),
    signature: toHex(cert.signature),
  };
}

/** One line, byte-identical to `nebula-cert print -json` for the same certificate (without the newline). */
export async function certificateToNebulaJsonString(cert: NebulaCertificate): Promise<string> {
  return goJson(await certificateToNebulaJson(cert));
}

/** The non-JSON `nebula-cert print` output (without the trailing newline nebula-cert adds). */
export async function certificateToNebulaText(cert: NebulaCertificate): Promise<string> {
  const d = cert.details;
  const list = (items: string[]) => (items.length > 0 ? `[\n${items.map((i) => `\t\t\t${i}\n`).join('')}\t\t]\n` : '[]\n');
  return (
    'NebulaCertificate {\n' +
    '\tDetails {\n' +
    `\t\tName: ${d.name}\n` +
    `\t\tIps: ${list(d.ips.map(formatCidr))}` +
    `\t\tSubnets: ${list(d.subnets.map(formatCidr))}` +
    `\t\tGroups: ${list(d.groups.map((g) => `"${g}"`))}` +
    `\t\tNot before: ${goTimeString(d.notBefore)}\n` +
    `\t\tNot After: ${goTimeString(d.notAfter)}\n` +
    `\t\tIs CA: ${d.isCA}\n` +
    `\t\tIssuer: ${d.issuer}\n` +
    `\t\tPublic key: ${toHex(d.publicKey)}\n` +
    '\t}\n' +
    `\tFingerprint: ${await fingerprint(cert)}\n` +
    `\tSignature: ${toHex(cert.signature)}\n` +
    '}'
  );
}

/** JSON.stringify with Go's encoding/json string escaping (HTML-safe, U+2028/9 escaped). */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function rfc3339(d: Date): string {
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`;
}

function goTimeString(d: Date): string {
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000 UTC`;
}
