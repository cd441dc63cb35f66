// Rendering a certificate the way `nebula-cert print` does: `-json` gives Go's
// json.Marshal of a map (keys sorted, <>& escaped, times RFC 3339); v1 is
// nebula 1.6.1's shape, v2 nebula 1.10's (certificateV2.MarshalJSON: absent
// lists are null, networks in netip's text form). The plain form is v1's
// NebulaCertificate.String(). Times are rendered in UTC, which is what
// nebula-cert prints when TZ is UTC.
import { toHex } from '../bytes.ts';
import { formatPrefix } from '../net/index.ts';
import { type Certificate, type CertificateV1, type CertificateV2, fingerprint } from './certificate.ts';

/** The object `nebula-cert print -json` prints for a v1 certificate, keys in Go's (sorted) order. */
interface CertificateJsonV1 {
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

/** The same for v2: curve, public key and version moved out of the details. */
interface CertificateJsonV2 {
  curve: string;
  details: {
    groups: string[] | null;
    isCa: boolean;
    issuer: string;
    name: string;
    networks: string[] | null;
    notAfter: string;
    notBefore: string;
    unsafeNetworks: string[] | null;
  };
  fingerprint: string;
  publicKey: string;
  signature: string;
  version: 2;
}

type CertificateJson = CertificateJsonV1 | CertificateJsonV2;

function certificateToNebulaJson(cert: CertificateV1): Promise<CertificateJsonV1>;
function certificateToNebulaJson(cert: CertificateV2): Promise<CertificateJsonV2>;
function certificateToNebulaJson(cert: Certificate): Promise<CertificateJson>;
async function certificateToNebulaJson(cert: Certificate): Promise<CertificateJson> {
  const d = cert.details;
  // Key order is Go's sorted map order: it is the output.
  const common = { isCa: d.isCA, issuer: d.issuer, name: d.name, notAfter: rfc3339(d.notAfter), notBefore: rfc3339(d.notBefore) };
  if (cert.version === 1) {
    const v1 = cert.details;
    return {
      details: { groups: [...d.groups], ips: v1.ips.map(formatPrefix), ...common, publicKey: toHex(d.publicKey), subnets: v1.subnets.map(formatPrefix) },
      fingerprint: await fingerprint(cert),
      signature: toHex(cert.signature),
    };
  }
  const v2 = cert.details;
  // A parsed v2 certificate has nil slices for absent lists, which Go marshals as null.
  const list = (items: string[]) => (items.length > 0 ? items : null);
  return {
    curve: v2.curve,
    details: {
      groups: list([...d.groups]),
      isCa: common.isCa,
      issuer: common.issuer,
      name: common.name,
      networks: list(v2.networks.map(formatPrefix)),
      notAfter: common.notAfter,
      notBefore: common.notBefore,
      unsafeNetworks: list(v2.unsafeNetworks.map(formatPrefix)),
    },
    fingerprint: await fingerprint(cert),
    publicKey: toHex(d.publicKey),
    signature: toHex(cert.signature),
    version: 2,
  };
}

/** One line, byte-identical to `nebula-cert print -json` for the same certificate (without the newline). */
export async function certificateToNebulaJsonString(cert: Certificate): Promise<string> {
  return goJson(await certificateToNebulaJson(cert));
}

/** The non-JSON `nebula-cert print` output of nebula 1.6.1, which knows v1 only (without the trailing newline). */
export async function certificateToNebulaText(cert: CertificateV1): Promise<string> {
  const d = cert.details;
  const list = (items: string[]) => (items.length > 0 ? `[\n${items.map((i) => `\t\t\t${i}\n`).join('')}\t\t]\n` : '[]\n');
  return (
    'NebulaCertificate {\n' +
    '\tDetails {\n' +
    `\t\tName: ${d.name}\n` +
    `\t\tIps: ${list(d.ips.map(formatPrefix))}` +
    `\t\tSubnets: ${list(d.subnets.map(formatPrefix))}` +
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
function goJson(value: unknown): string {
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
