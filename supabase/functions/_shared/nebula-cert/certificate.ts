// The typed Nebula v1 certificate: details with IPv4 CIDRs, Dates and a hex
// issuer, mapped to and from the raw protobuf messages of wire.ts. Parsed
// certificates keep their bytes: signatures are checked over the bytes
// received, and (the codec being canonical) those equal what nebula re-encodes.
import { VidsyncError } from '../errors.ts';
import { asBuffer, hex, toHex } from './bytes.ts';
import { type Cidr, formatCidr, intToIpv4, ipv4ToInt, maskOf, parseCidr, prefixOfMask } from './cidr.ts';
import { MAX_CAS_IN_BUNDLE, MAX_GROUP_BYTES, MAX_GROUPS, MAX_NAME_BYTES, MAX_NETWORKS } from './limits.ts';
import { decodePemBlocks, decodeSinglePem, encodePem } from './pem.ts';
import { ISSUER_LENGTH, KEY_LENGTH, PEM_BANNER } from './spec.ts';
import { decodeRawCertificate, encodeRawCertificate, encodeRawDetails, type RawDetails } from './wire.ts';

export interface NebulaCertificateDetails {
  name: string;
  /** Overlay addresses: host address + prefix, e.g. { address: '10.99.1.5', prefix: 24 }. */
  ips: Cidr[];
  /** Unsafe routes this host may serve. */
  subnets: Cidr[];
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

export interface NebulaCertificate {
  details: NebulaCertificateDetails;
  signature: Uint8Array;
  /** The marshalled Details: the bytes the signature covers. */
  detailsBytes: Uint8Array;
  /** The whole marshalled certificate: the bytes the fingerprint hashes. */
  bytes: Uint8Array;
}

const utf8 = new TextEncoder();
const MAX_DATE_SECONDS = 8.64e12; // the range of a JS Date

/** Checks a details object against nebula's rules and our limits, then encodes it canonically. */
export function marshalDetails(details: NebulaCertificateDetails): Uint8Array<ArrayBuffer> {
  return encodeRawDetails(toRawDetails(details));
}

/** Assembles a certificate from its signed details and the signature. */
export function assembleCertificate(details: NebulaCertificateDetails, detailsBytes: Uint8Array, signature: Uint8Array): NebulaCertificate {
  return { details, signature, detailsBytes, bytes: encodeRawCertificate(detailsBytes, signature) };
}

export function parseCertificate(bytes: Uint8Array): NebulaCertificate {
  const raw = decodeRawCertificate(bytes);
  return { details: fromRawDetails(raw.details), signature: raw.signature, detailsBytes: raw.detailsBytes, bytes };
}

export function parseCertificatePem(pem: string | Uint8Array): NebulaCertificate {
  return parseCertificate(decodeSinglePem(pem, PEM_BANNER.certificate));
}

/** All certificates of a PEM bundle (a CA file); comments between blocks are allowed. */
export function parseCertificateBundlePem(pem: string | Uint8Array): NebulaCertificate[] {
  const blocks = decodePemBlocks(pem);
  if (blocks.length > MAX_CAS_IN_BUNDLE) {
    throw new VidsyncError('input_too_large', `${blocks.length} certificates in one bundle, the limit is ${MAX_CAS_IN_BUNDLE}`);
  }
  return blocks.map((b) => {
    if (b.type !== PEM_BANNER.certificate) {
      throw new VidsyncError('pem_banner', `expected a ${PEM_BANNER.certificate} block, found ${b.type}`);
    }
    return parseCertificate(b.bytes);
  });
}

export function certificateToPem(cert: NebulaCertificate): string {
  return encodePem(PEM_BANNER.certificate, cert.bytes);
}

/** Lowercase hex SHA-256 of the marshalled certificate (nebula's Sha256Sum). */
export async function fingerprint(cert: NebulaCertificate | Uint8Array): Promise<string> {
  const bytes = cert instanceof Uint8Array ? cert : cert.bytes;
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', asBuffer(bytes))));
}

function toRawDetails(d: NebulaCertificateDetails): RawDetails {
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
    ips: cidrsToWords(d.ips),
    subnets: cidrsToWords(d.subnets),
    groups: [...d.groups],
    notBefore: dateToSeconds(d.notBefore, 'notBefore'),
    notAfter: dateToSeconds(d.notAfter, 'notAfter'),
    publicKey: d.publicKey,
    isCA: d.isCA,
    issuer: d.issuer === '' ? new Uint8Array(0) : hex(d.issuer),
  };
}

function fromRawDetails(r: RawDetails): NebulaCertificateDetails {
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
    ips: wordsToCidrs(r.ips, 'ips'),
    subnets: wordsToCidrs(r.subnets, 'subnets'),
    groups: r.groups,
    notBefore: secondsToDate(r.notBefore),
    notAfter: secondsToDate(r.notAfter),
    publicKey: r.publicKey,
    isCA: r.isCA,
    issuer: toHex(r.issuer),
  };
}

function cidrsToWords(cidrs: readonly Cidr[]): number[] {
  const out: number[] = [];
  for (const c of cidrs) {
    const checked = parseCidr(formatCidr(c)); // rejects malformed objects with validation_failed
    out.push(ipv4ToInt(checked.address), maskOf(checked.prefix));
  }
  return out;
}

function wordsToCidrs(words: readonly number[], what: string): Cidr[] {
  const out: Cidr[] = [];
  for (let i = 0; i < words.length; i += 2) {
    const prefix = prefixOfMask(words[i + 1]!);
    if (prefix === undefined) throw new VidsyncError('proto_invalid', `${what} holds a non-contiguous mask`);
    out.push({ address: intToIpv4(words[i]!), prefix });
  }
  return out;
}

function dateToSeconds(d: Date, what: string): number {
  const ms = d instanceof Date ? d.getTime() : NaN;
  if (!Number.isFinite(ms)) throw new VidsyncError('validation_failed', `${what} is not a valid date`);
  return Math.floor(ms / 1000);
}

function secondsToDate(s: number): Date {
  if (Math.abs(s) > MAX_DATE_SECONDS) throw new VidsyncError('proto_invalid', `time ${s} is outside the representable range`);
  return new Date(s * 1000);
}
