// One certificate model over nebula's two wire formats, as nebula's own
// `cert` package has it: a Certificate carries its `version`, and each
// version's codec (v1/ protobuf, v2/ ASN.1 DER) turns details into bytes and
// back. Everything above the codecs (PEM, fingerprints, signing, CA
// constraints, verification, printing) is written once here and beside here.
//
// Callers say which versions they accept: `version: 1` (the default, what
// nebula 1.6.1 hosts and our service use), `2`, or `'any'`. The type of the
// result follows, so v1-only callers keep v1's `ips`/`subnets` fields.
import { VidsyncError } from '../errors.ts';
import { asBuffer, toHex } from '../bytes.ts';
import { MAX_CAS_IN_BUNDLE } from './limits.ts';
import { decodePemBlocks, decodeSinglePem, encodePem } from './pem.ts';
import * as v1 from './v1/codec.ts';
import { PEM_BANNER } from './v1/spec.ts';
import * as v2 from './v2/codec.ts';
import { DER_TAG } from './v2/der.ts';
import { PEM_BANNER_V2 } from './v2/spec.ts';

export type { CertificateV1, DetailsV1 } from './v1/codec.ts';
export type { CertificateV2, DetailsV2 } from './v2/codec.ts';

export type Version = 1 | 2;
export type Certificate = v1.CertificateV1 | v2.CertificateV2;
export type CertificateOf<V extends Version> = Extract<Certificate, { version: V }>;
/** Which versions a reader accepts. */
export type Accept = Version | 'any';
export type Accepted<A extends Accept> = A extends Version ? CertificateOf<A> : Certificate;

/** What a format contributes; the rest of the library is written against this. */
export interface Codec<C extends Certificate> {
  readonly version: C['version'];
  readonly banner: string;
  decode(bytes: Uint8Array): C;
  /** Checks details (nebula's rules, our limits) and encodes them: the details as signed, and the bytes a signature covers. */
  marshal(details: C['details']): { details: C['details']; detailsBytes: Uint8Array; signedBytes: Uint8Array };
  assemble(details: C['details'], detailsBytes: Uint8Array, signature: Uint8Array): C;
  fingerprintInput(cert: C): Uint8Array;
}

const CODECS: { readonly [V in Version]: Codec<CertificateOf<V>> } = {
  1: { version: 1, banner: PEM_BANNER.certificate, ...v1 },
  2: { version: 2, banner: PEM_BANNER_V2, ...v2 },
};

export function codecOf<V extends Version>(version: V): Codec<CertificateOf<V>> {
  const codec = CODECS[version];
  if (!codec) throw new VidsyncError('validation_failed', `certificate version must be 1 or 2, not ${String(version)}`);
  return codec;
}

/** Raw certificate bytes. With `'any'`, told apart by the first byte: a v2 certificate is a DER SEQUENCE (0x30), v1 starts with protobuf field 1 (0x0A). */
export function parseCertificate<A extends Accept = 1>(bytes: Uint8Array, options: { version?: A } = {}): Accepted<A> {
  const accept = options.version ?? 1;
  const version: Version = accept === 'any' ? (bytes instanceof Uint8Array && bytes[0] === DER_TAG.sequence ? 2 : 1) : accept;
  return codecOf(version).decode(bytes) as Accepted<A>;
}

/** One PEM certificate and nothing around it; the banner names the version. */
export function parseCertificatePem<A extends Accept = 1>(pem: string | Uint8Array, options: { version?: A } = {}): Accepted<A> {
  const accept = options.version ?? 1;
  let codec: Codec<Certificate> = codecOf(accept === 'any' ? 1 : accept);
  if (accept === 'any') {
    const blocks = decodePemBlocks(pem);
    if (blocks.length === 1 && blocks[0]!.type === PEM_BANNER_V2) codec = CODECS[2];
  }
  return codec.decode(decodeSinglePem(pem, codec.banner)) as Accepted<A>;
}

/** All certificates of a PEM bundle (a CA file); comments between blocks are allowed. */
export function parseCertificateBundlePem<A extends Accept = 1>(pem: string | Uint8Array, options: { version?: A } = {}): Accepted<A>[] {
  const accept = options.version ?? 1;
  const codecs: Codec<Certificate>[] = accept === 'any' ? [CODECS[1], CODECS[2]] : [codecOf(accept)];
  const blocks = decodePemBlocks(pem);
  if (blocks.length > MAX_CAS_IN_BUNDLE) {
    throw new VidsyncError('input_too_large', `${blocks.length} certificates in one bundle, the limit is ${MAX_CAS_IN_BUNDLE}`);
  }
  return blocks.map((b) => {
    const codec = codecs.find((c) => c.banner === b.type);
    if (!codec) throw new VidsyncError('pem_banner', `expected a ${codecs.map((c) => c.banner).join(' or ')} block, found ${b.type}`);
    return codec.decode(b.bytes) as Accepted<A>;
  });
}

export function certificateToPem(cert: Certificate): string {
  return encodePem(codecOf(cert.version).banner, cert.bytes);
}

/** nebula's Fingerprint(): lowercase hex SHA-256 (v1 over the whole certificate, v2 over its signed parts and signature). */
export async function fingerprint(cert: Certificate): Promise<string> {
  const input = (codecOf(cert.version) as Codec<Certificate>).fingerprintInput(cert);
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', asBuffer(input))));
}
