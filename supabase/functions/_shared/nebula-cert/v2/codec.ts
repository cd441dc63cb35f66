// Format v2 as a codec (spec.ts): decode from DER, check nebula's rules,
// encode canonically. Like the v1 codec, a decoded certificate keeps the
// bytes it came from; signatures are checked over the Details TLV received,
// and since we accept only canonical encodings those bytes equal what
// `marshal` produces from the decoded details.
import { type ErrorCode, VidsyncError } from '../../errors.ts';
import { hex, toHex } from '../../bytes.ts';
import { comparePrefixes, formatPrefix, isIpv4Mapped, isUnspecified, type Prefix, type PrefixBytes, prefixBytes, prefixOf } from '../../net/index.ts';
import { MAX_CERT_BYTES, MAX_GROUP_BYTES, MAX_GROUPS, MAX_NETWORKS } from '../limits.ts';
import { dateToSeconds, secondsToDate } from '../time.ts';
import { decodeDerInteger, DER_TAG, derElement, DerReader, encodeDerInteger } from './der.ts';
import {
  CERT_V2_TAG,
  CURVE_V2,
  type CurveName,
  DETAILS_V2_TAG,
  MAX_ISSUER_BYTES_V2,
  MAX_NAME_BYTES_V2,
  MAX_SIGNATURE_BYTES_V2,
  PUBLIC_KEY_LENGTH_V2,
} from './spec.ts';

export interface DetailsV2 {
  /** 1..253 UTF-8 bytes. */
  name: string;
  /** Overlay addresses with their network's prefix length, IPv4 and/or IPv6 ("fd00::5"/64). */
  networks: Prefix[];
  /** Unsafe routes this host may serve. */
  unsafeNetworks: Prefix[];
  groups: string[];
  /** Whole seconds, as in v1. */
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  /** Lowercase hex v2 fingerprint of the issuing CA; '' on a self-signed CA. */
  issuer: string;
  /** Outside the Details TLV on the wire, but signed with it. */
  curve: CurveName;
  /** 32 bytes (X25519 host, Ed25519 CA) or 65 (P256 uncompressed). */
  publicKey: Uint8Array;
}

export interface CertificateV2 {
  version: 2;
  details: DetailsV2;
  signature: Uint8Array;
  /** The Details TLV (tag 0xA0 included), as received or as encoded. */
  detailsBytes: Uint8Array;
  /** What the signature covers: detailsBytes || curve byte || publicKey. */
  signedBytes: Uint8Array;
  /** The whole DER certificate (what PEM carries). */
  bytes: Uint8Array;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks details against nebula's rules and our limits and encodes the
 * Details TLV. Networks are sorted as nebula sorts them before signing; the
 * returned details carry that order, so they describe the bytes exactly.
 */
export function marshal(details: DetailsV2): { details: DetailsV2; detailsBytes: Uint8Array<ArrayBuffer>; signedBytes: Uint8Array<ArrayBuffer> } {
  const checked = checkDetails(details, 'validation_failed', true);
  const detailsBytes = encodeDetails(checked);
  return { details: checked.details, detailsBytes, signedBytes: signedBytesOf(detailsBytes, curveTag(checked.details.curve), checked.details.publicKey) };
}

/** Assembles a certificate from its Details TLV, details (curve and key) and signature. */
export function assemble(details: DetailsV2, detailsBytes: Uint8Array, signature: Uint8Array): CertificateV2 {
  if (!(signature instanceof Uint8Array) || signature.length === 0 || signature.length > MAX_SIGNATURE_BYTES_V2) {
    throw new VidsyncError('validation_failed', `signature must be 1..${MAX_SIGNATURE_BYTES_V2} bytes`);
  }
  const curve = curveTag(details.curve);
  const bytes = derElement(
    DER_TAG.sequence,
    detailsBytes,
    ...(curve === 0 ? [] : [derElement(CERT_V2_TAG.curve, Uint8Array.of(curve))]),
    derElement(CERT_V2_TAG.publicKey, details.publicKey),
    derElement(CERT_V2_TAG.signature, signature),
  );
  if (bytes.length > MAX_CERT_BYTES) throw new VidsyncError('input_too_large', `certificate of ${bytes.length} bytes, the limit is ${MAX_CERT_BYTES}`);
  return { version: 2, details, signature, detailsBytes, signedBytes: signedBytesOf(detailsBytes, curve, details.publicKey), bytes };
}

/** The bytes a v2 signature covers: Details TLV || curve byte || public key. */
export function signedBytesOf(detailsBytes: Uint8Array, curve: number, publicKey: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(detailsBytes.length + 1 + publicKey.length);
  out.set(detailsBytes);
  out[detailsBytes.length] = curve;
  out.set(publicKey, detailsBytes.length + 1);
  return out;
}

export function decode(bytes: Uint8Array): CertificateV2 {
  if (!(bytes instanceof Uint8Array)) throw new VidsyncError('proto_invalid', 'certificate must be bytes');
  if (bytes.length > MAX_CERT_BYTES) throw new VidsyncError('input_too_large', `certificate of ${bytes.length} bytes, the limit is ${MAX_CERT_BYTES}`);
  const top = new DerReader(bytes);
  const certificate = top.read(DER_TAG.sequence, 'certificate');
  top.end('the certificate');

  const c = new DerReader(certificate.content);
  const detailsTlv = c.read(CERT_V2_TAG.details, 'details');
  const curveElement = c.readOptional(CERT_V2_TAG.curve, 'curve');
  let curve: CurveName = 'CURVE25519';
  if (curveElement) {
    if (curveElement.content.length !== 1) throw new VidsyncError('proto_invalid', 'curve must be one byte');
    const value = curveElement.content[0]!;
    if (value === CURVE_V2.CURVE25519) throw new VidsyncError('proto_noncanonical', 'curve25519 is the default; nebula omits it');
    if (value !== CURVE_V2.P256) throw new VidsyncError('proto_invalid', `unknown curve ${value}`);
    curve = 'P256';
  }
  const publicKey = c.read(CERT_V2_TAG.publicKey, 'public key').content;
  const signature = c.read(CERT_V2_TAG.signature, 'signature').content;
  c.end('the signature');
  if (signature.length === 0) throw new VidsyncError('proto_invalid', 'empty signature');
  if (signature.length > MAX_SIGNATURE_BYTES_V2) throw new VidsyncError('input_too_large', `signature longer than ${MAX_SIGNATURE_BYTES_V2} bytes`);

  const decoded = decodeDetails(detailsTlv.content, curve, publicKey);
  const { details } = checkDetails(decoded, 'proto_invalid', false);
  return {
    version: 2,
    details,
    signature,
    detailsBytes: detailsTlv.raw,
    signedBytes: signedBytesOf(detailsTlv.raw, CURVE_V2[curve], publicKey),
    bytes,
  };
}

/** nebula's v2 fingerprint hashes Details TLV || curve || public key || signature, not the whole DER. */
export function fingerprintInput(cert: CertificateV2): Uint8Array {
  const input = new Uint8Array(cert.signedBytes.length + cert.signature.length);
  input.set(cert.signedBytes);
  input.set(cert.signature, cert.signedBytes.length);
  return input;
}

// ---- Details: decoding ----

function decodeDetails(content: Uint8Array, curve: CurveName, publicKey: Uint8Array): DetailsV2 {
  const r = new DerReader(content);
  const name = decodeUtf8(r.read(DETAILS_V2_TAG.name, 'name').content, 'name');
  const networks = decodeNetworks(r.readOptional(DETAILS_V2_TAG.networks, 'networks')?.content, 'networks');
  const unsafeNetworks = decodeNetworks(r.readOptional(DETAILS_V2_TAG.unsafeNetworks, 'unsafe networks')?.content, 'unsafe networks');
  const groups: string[] = [];
  const groupsElement = r.readOptional(DETAILS_V2_TAG.groups, 'groups');
  if (groupsElement) {
    if (groupsElement.content.length === 0) throw emptyList('groups');
    const g = new DerReader(groupsElement.content);
    while (!g.done) {
      if (groups.length >= MAX_GROUPS) throw new VidsyncError('input_too_large', `more than ${MAX_GROUPS} groups`);
      groups.push(decodeUtf8(g.read(DER_TAG.utf8String, 'group').content, 'group'));
    }
  }
  const isCaElement = r.readOptional(DETAILS_V2_TAG.isCA, 'isCA');
  if (isCaElement) {
    if (isCaElement.content.length !== 1) throw new VidsyncError('proto_invalid', 'isCA must be one byte');
    if (isCaElement.content[0] !== 0xff) throw new VidsyncError('proto_noncanonical', 'isCA is written only when true, as 0xFF');
  }
  const notBefore = decodeDerInteger(r.read(DETAILS_V2_TAG.notBefore, 'notBefore').content, 'notBefore');
  const notAfter = decodeDerInteger(r.read(DETAILS_V2_TAG.notAfter, 'notAfter').content, 'notAfter');
  const issuerElement = r.readOptional(DETAILS_V2_TAG.issuer, 'issuer');
  if (issuerElement && issuerElement.content.length === 0) throw new VidsyncError('proto_noncanonical', 'an empty issuer is omitted by nebula');
  if (!r.done) {
    throw new VidsyncError('proto_noncanonical', 'unknown fields after issuer: this implementation reads the fields of nebula 1.10 only');
  }
  return {
    name,
    networks: networks.map(prefixOf),
    unsafeNetworks: unsafeNetworks.map(prefixOf),
    groups,
    notBefore: secondsToDate(notBefore),
    notAfter: secondsToDate(notAfter),
    isCA: isCaElement !== undefined,
    issuer: issuerElement ? toHex(issuerElement.content) : '',
    curve,
    publicKey,
  };
}

function decodeNetworks(content: Uint8Array | undefined, what: string): PrefixBytes[] {
  if (content === undefined) return [];
  if (content.length === 0) throw emptyList(what);
  const r = new DerReader(content);
  const out: PrefixBytes[] = [];
  while (!r.done) {
    if (out.length >= MAX_NETWORKS) throw new VidsyncError('input_too_large', `more than ${MAX_NETWORKS} ${what}`);
    const p = prefixFromBinary(r.read(DER_TAG.octetString, what).content, what);
    const previous = out[out.length - 1];
    // Nebula sorts before signing, so it never writes another order; duplicates it refuses outright (checkDetails).
    if (previous && comparePrefixes(previous, p) > 0) {
      throw new VidsyncError('proto_noncanonical', `${what} are not in nebula's order (IPv4 before IPv6, by address, then prefix length)`);
    }
    out.push(p);
  }
  return out;
}

function emptyList(what: string): VidsyncError {
  return new VidsyncError('proto_noncanonical', `${what} is an empty list; nebula omits it`);
}

// ---- Details: rules and encoding ----

interface CheckedDetails {
  details: DetailsV2;
  networks: PrefixBytes[];
  unsafeNetworks: PrefixBytes[];
  issuer: Uint8Array;
  notBefore: number;
  notAfter: number;
}

/** nebula's validate() plus our limits. `code` is validation_failed before signing, proto_invalid on parse. */
function checkDetails(d: DetailsV2, code: ErrorCode, sort: boolean): CheckedDetails {
  const fail = (message: string) => new VidsyncError(code, message);
  if (typeof d !== 'object' || d === null) throw fail('details must be an object');
  if (typeof d.name !== 'string' || d.name === '') throw fail('name is required');
  if (utf8.encode(d.name).length > MAX_NAME_BYTES_V2) throw fail(`name longer than ${MAX_NAME_BYTES_V2} bytes`);
  if (!Array.isArray(d.groups) || d.groups.length > MAX_GROUPS) throw fail(`groups must be a list of at most ${MAX_GROUPS}`);
  for (const g of d.groups) {
    if (typeof g !== 'string' || g === '') throw fail('groups must be non-empty strings');
    if (utf8.encode(g).length > MAX_GROUP_BYTES) throw new VidsyncError(code === 'proto_invalid' ? 'input_too_large' : code, `group longer than ${MAX_GROUP_BYTES} bytes`);
  }
  if (typeof d.curve !== 'string' || !Object.hasOwn(CURVE_V2, d.curve)) throw fail(`curve must be CURVE25519 or P256`);
  const keyLength = PUBLIC_KEY_LENGTH_V2[d.curve];
  if (!(d.publicKey instanceof Uint8Array) || d.publicKey.length !== keyLength || (d.curve === 'P256' && d.publicKey[0] !== 0x04)) {
    throw new VidsyncError('key_length', `a ${d.curve} public key must be ${keyLength} bytes${d.curve === 'P256' ? ', uncompressed' : ''}`);
  }
  if (typeof d.issuer !== 'string' || (d.issuer !== '' && !/^([0-9a-f]{2}){1,32}$/.test(d.issuer))) {
    throw fail(`issuer must be '' or lowercase hex of at most ${MAX_ISSUER_BYTES_V2} bytes`);
  }
  const networks = checkNetworks(d.networks, 'networks', code, sort);
  const unsafeNetworks = checkNetworks(d.unsafeNetworks, 'unsafe networks', code, sort);
  if (!d.isCA && networks.length === 0) throw fail('non-CA certificate must contain at least 1 network');
  for (const n of networks) {
    if (isUnspecified(n.bytes)) throw fail(`networks must not use the zero address: ${formatPrefix(n)}`);
    if (isIpv4Mapped(n.bytes)) throw fail(`4in6 networks are not allowed: ${formatPrefix(n)}`);
  }
  if (!d.isCA) {
    for (const u of unsafeNetworks) {
      if (!networks.some((n) => n.bytes.length === u.bytes.length)) {
        throw fail(`IPv${u.bytes.length === 4 ? 4 : 6} unsafe networks require an IPv${u.bytes.length === 4 ? 4 : 6} address assignment: ${formatPrefix(u)}`);
      }
    }
  }
  const notBefore = dateToSeconds(d.notBefore, 'notBefore', code);
  const notAfter = dateToSeconds(d.notAfter, 'notAfter', code);
  return {
    details: {
      name: d.name,
      networks: networks.map(prefixOf),
      unsafeNetworks: unsafeNetworks.map(prefixOf),
      groups: [...d.groups],
      notBefore: new Date(notBefore * 1000),
      notAfter: new Date(notAfter * 1000),
      isCA: d.isCA === true,
      issuer: d.issuer,
      curve: d.curve,
      publicKey: d.publicKey,
    },
    networks,
    unsafeNetworks,
    issuer: d.issuer === '' ? new Uint8Array(0) : hex(d.issuer),
    notBefore,
    notAfter,
  };
}

function checkNetworks(list: readonly Prefix[], what: string, code: ErrorCode, sort: boolean): PrefixBytes[] {
  if (!Array.isArray(list)) throw new VidsyncError(code, `${what} must be a list`);
  if (list.length > MAX_NETWORKS) throw new VidsyncError(code === 'proto_invalid' ? 'input_too_large' : code, `more than ${MAX_NETWORKS} ${what}`);
  const parsed = list.map((p) => {
    try {
      return prefixBytes(p);
    } catch (cause) {
      throw new VidsyncError(code, `invalid ${what} entry`, { cause });
    }
  });
  if (sort) parsed.sort(comparePrefixes);
  for (let i = 1; i < parsed.length; i++) {
    if (comparePrefixes(parsed[i - 1]!, parsed[i]!) === 0) throw new VidsyncError(code, `duplicate network detected: ${formatPrefix(parsed[i]!)}`);
  }
  return parsed;
}

function encodeDetails(c: CheckedDetails): Uint8Array<ArrayBuffer> {
  const d = c.details;
  const parts: Uint8Array[] = [derElement(DETAILS_V2_TAG.name, utf8.encode(d.name))];
  const networkList = (tag: number, list: PrefixBytes[]) => {
    if (list.length > 0) parts.push(derElement(tag, ...list.map((p) => derElement(DER_TAG.octetString, prefixToBinary(p)))));
  };
  networkList(DETAILS_V2_TAG.networks, c.networks);
  networkList(DETAILS_V2_TAG.unsafeNetworks, c.unsafeNetworks);
  if (d.groups.length > 0) parts.push(derElement(DETAILS_V2_TAG.groups, ...d.groups.map((g) => derElement(DER_TAG.utf8String, utf8.encode(g)))));
  if (d.isCA) parts.push(derElement(DETAILS_V2_TAG.isCA, Uint8Array.of(0xff)));
  parts.push(derElement(DETAILS_V2_TAG.notBefore, encodeDerInteger(c.notBefore)));
  parts.push(derElement(DETAILS_V2_TAG.notAfter, encodeDerInteger(c.notAfter)));
  if (c.issuer.length > 0) parts.push(derElement(DETAILS_V2_TAG.issuer, c.issuer));
  return derElement(CERT_V2_TAG.details, ...parts);
}

function curveTag(curve: CurveName): number {
  const value = Object.hasOwn(CURVE_V2, curve) ? CURVE_V2[curve] : undefined;
  if (value === undefined) throw new VidsyncError('validation_failed', 'curve must be CURVE25519 or P256');
  return value;
}

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8Strict.decode(bytes);
  } catch (cause) {
    throw new VidsyncError('proto_invalid', `${what} is not valid UTF-8`, { cause });
  }
}

/** netip.Prefix.MarshalBinary: address bytes, then the prefix length. */
function prefixToBinary(p: PrefixBytes): Uint8Array {
  const out = new Uint8Array(p.bytes.length + 1);
  out.set(p.bytes);
  out[p.bytes.length] = p.prefix;
  return out;
}

/** The inverse of prefixToBinary: 5 or 17 bytes with a prefix length in range. */
function prefixFromBinary(b: Uint8Array, what: string): PrefixBytes {
  if (b.length !== 5 && b.length !== 17) throw new VidsyncError('proto_invalid', `${what}: a network is 5 or 17 bytes, found ${b.length}`);
  const prefix = b[b.length - 1]!;
  if (prefix > (b.length - 1) * 8) throw new VidsyncError('proto_invalid', `${what}: prefix length ${prefix} is too long`);
  return { bytes: b.slice(0, b.length - 1), prefix };
}
