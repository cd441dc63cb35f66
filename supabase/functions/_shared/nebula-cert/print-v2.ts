// Rendering a v2 certificate the way nebula 1.10 does in `nebula-cert print
// -json` (certificateV2.MarshalJSON): Go's json.Marshal of a map, so keys are
// sorted, absent lists are null, times are RFC 3339 in UTC (what nebula prints
// when TZ is UTC) and networks use netip's text form.
import { toHex } from './bytes.ts';
import { fingerprintV2, type NebulaCertificateV2 } from './cert-v2.ts';
import { formatNetworkPrefix } from './ip-prefix.ts';
import { goJson } from './print.ts';

export interface NebulaCertificateV2Json {
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

export async function certificateV2ToNebulaJson(cert: NebulaCertificateV2): Promise<NebulaCertificateV2Json> {
  const d = cert.details;
  // A parsed certificate has nil slices for absent lists, which Go marshals as null.
  const list = (items: string[]) => (items.length > 0 ? items : null);
  return {
    curve: d.curve,
    details: {
      groups: list([...d.groups]),
      isCa: d.isCA,
      issuer: d.issuer,
      name: d.name,
      networks: list(d.networks.map(formatNetworkPrefix)),
      notAfter: rfc3339(d.notAfter),
      notBefore: rfc3339(d.notBefore),
      unsafeNetworks: list(d.unsafeNetworks.map(formatNetworkPrefix)),
    },
    fingerprint: await fingerprintV2(cert),
    publicKey: toHex(d.publicKey),
    signature: toHex(cert.signature),
    version: 2,
  };
}

/** One line, as Go's json.Marshal writes it. */
export async function certificateV2ToNebulaJsonString(cert: NebulaCertificateV2): Promise<string> {
  return goJson(await certificateV2ToNebulaJson(cert));
}

function rfc3339(d: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`;
}
