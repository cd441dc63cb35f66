// Format v1 as a codec: the typed certificate (IPv4 prefixes, Dates, a hex
// issuer) mapped to and from the raw protobuf messages of wire.ts. A parsed
// certificate keeps its bytes: signatures are checked over the bytes received,
// and (the codec being canonical) those equal what nebula re-encodes.
import { VidsyncError } from '../../errors.ts';
import { hex, toHex } from '../../bytes.ts';
import { ipv4ToInt, parseCidr, type Prefix } from '../../net/index.ts';
import { MAX_GROUP_BYTES, MAX_GROUPS, MAX_NAME_BYTES, MAX_NETWORKS } from '../limits.ts';
import { dateToSeconds, secondsToDate } from '../time.ts';
import { ISSUER_LENGTH, KEY_LENGTH } from './spec.ts';
import { decodeRawCertificate, encodeRawCertificate, encodeRawDetails, type RawDetails } from './wire.ts';

export interface DetailsV1 {
  name: string;
  /** Overlay addresses: host address + prefix, e.g. { address: '10.99.1.5', prefix: 24 }. */
  ips: Prefix[];
  /** Unsafe routes this host may serve. */
  subnets: Prefix[];
  groups: string[];
  /** Whole seconds: sub-second parts are dropped on encoding, as Go's Time.Unix() does. */
  notBefore: Date;
  notAfter: Date;
  /** X25519 (host) or Ed25519 (CA), 32 bytes. */
  publicKey: Uint8Array;
  isCA: boolean;
  /** Lowercase hex fingerprint of the issuing CA; '' on a self-signed CA. */
  issuer: string;
}

export interface CertificateV1 {
  version: 1;
  details: DetailsV1;
  signature: Uint8Array;
  /** The marshalled Details. */
  detailsBytes: Uint8Array;
  /** What the signature covers: in v1, the marshalled Details. */
  signedBytes: Uint8Array;
  /** The whole marshalled certificate: what PEM carries and the fingerprint hashes. */
  bytes: Uint8Array;
}

const utf8 = new TextEncoder();

/** Checks details against our limits and encodes them canonically; v1 signs exactly these bytes. */
export function marshal(details: DetailsV1): { details: DetailsV1; detailsBytes: Uint8Array<ArrayBuffer>; signedBytes: Uint8Array<ArrayBuffer> } {
  const detailsBytes = encodeRawDetails(toRawDetails(details));
  return { details, detailsBytes, signedBytes: detailsBytes };
}

/** A certificate from its signed details and the signature. */
export function assemble(details: DetailsV1, detailsBytes: Uint8Array, signature: Uint8Array): CertificateV1 {
  return { version: 1, details, signature, detailsBytes, signedBytes: detailsBytes, bytes: encodeRawCertificate(detailsBytes, signature) };
}

export function decode(bytes: Uint8Array): CertificateV1 {
  const raw = decodeRawCertificate(bytes);
  return { version: 1, details: fromRawDetails(raw.details), signature: raw.signature, detailsBytes: raw.detailsBytes, signedBytes: raw.detailsBytes, bytes };
}

/** nebula v1's fingerprint hashes the whole marshalled certificate. */
export function fingerprintInput(cert: CertificateV1): Uint8Array {
  return cert.bytes;
}

function toRawDetails(d: DetailsV1): RawDetails {
  if (utf8.encode(d.name).length > MAX_NAME_BYTES) throw new VidsyncError('validation_failed', `name longer than ${MAX_NAME_BYTES} bytes`);
  if (d.groups.length > MAX_GROUPS) throw new VidsyncError('validation_failed', `more than ${MAX_GROUPS} groups`);
  for (const g of d.groups) {
    if (typeof g !== 'string' || utf8.encode(g).length > MAX_GROUP_BYTES) {
      throw new VidsyncError('validation_failed', `group longer than ${MAX_GROUP_BYTES} bytes`);
    }
  }
  if (d.ips.length > MAX_NETWORKS || d.subnets.length > MAX_NETWORKS) {
    throw new VidsyncError('validation_failed', `more than ${MAX_NETWORKS} ips or subnets`);
  }
  if (!(d.publicKey instanceof Uint8Array) || d.publicKey.length !== KEY_LENGTH) {
    throw new VidsyncError('key_length', `public key must be ${KEY_LENGTH} bytes`);
  }
  if (d.issuer !== '' && !/^[0-9a-f]{64}$/.test(d.issuer)) {
    throw new VidsyncError('validation_failed', 'issuer must be a lowercase hex SHA-256 fingerprint or empty');
  }
  return {
    name: d.name,
    ips: prefixesToWords(d.ips),
    subnets: prefixesToWords(d.subnets),
    groups: [...d.groups],
    notBefore: dateToSeconds(d.notBefore, 'notBefore'),
    notAfter: dateToSeconds(d.notAfter, 'notAfter'),
    publicKey: d.publicKey,
    isCA: d.isCA,
    issuer: d.issuer === '' ? new Uint8Array(0) : hex(d.issuer),
  };
}

function fromRawDetails(r: RawDetails): DetailsV1 {
  if (utf8.encode(r.name).length > MAX_NAME_BYTES) throw new VidsyncError('input_too_large', `name longer than ${MAX_NAME_BYTES} bytes`);
  for (const g of r.groups) {
    if (utf8.encode(g).length > MAX_GROUP_BYTES) throw new VidsyncError('input_too_large', `group longer than ${MAX_GROUP_BYTES} bytes`);
  }
  if (r.publicKey.length !== KEY_LENGTH) {
    throw new VidsyncError('key_length', `certificate public key is ${r.publicKey.length} bytes, expected ${KEY_LENGTH}`);
  }
  if (r.issuer.length !== 0 && r.issuer.length !== ISSUER_LENGTH) {
    throw new VidsyncError('proto_invalid', `issuer is ${r.issuer.length} bytes, expected ${ISSUER_LENGTH}`);
  }
  return {
    name: r.name,
    ips: wordsToPrefixes(r.ips, 'ips'),
    subnets: wordsToPrefixes(r.subnets, 'subnets'),
    groups: r.groups,
    notBefore: secondsToDate(r.notBefore),
    notAfter: secondsToDate(r.notAfter),
    publicKey: r.publicKey,
    isCA: r.isCA,
    issuer: toHex(r.issuer),
  };
}

// v1 stores each IPv4 prefix as two uint32 words: the address and a contiguous mask.

function prefixesToWords(prefixes: readonly Prefix[]): number[] {
  const out: number[] = [];
  for (const p of prefixes) {
    const checked = parseCidr(`${p?.address}/${p?.prefix}`); // rejects malformed objects with validation_failed
    out.push(ipv4ToInt(checked.address), checked.prefix === 0 ? 0 : (0xffffffff << (32 - checked.prefix)) >>> 0);
  }
  return out;
}

function wordsToPrefixes(words: readonly number[], what: string): Prefix[] {
  const out: Prefix[] = [];
  for (let i = 0; i < words.length; i += 2) {
    const inverted = ~words[i + 1]! >>> 0;
    // A contiguous mask inverted is 2^k - 1; its leading zeros are the prefix length.
    if ((inverted & (inverted + 1)) !== 0) throw new VidsyncError('proto_invalid', `${what} holds a non-contiguous mask`);
    const a = words[i]!;
    out.push({ address: `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`, prefix: Math.clz32(inverted) });
  }
  return out;
}
