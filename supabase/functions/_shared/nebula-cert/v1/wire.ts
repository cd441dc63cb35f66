// The protobuf messages of spec.ts, field for field, with no interpretation:
// IPs are raw uint32 words, times are Unix seconds, the issuer is raw bytes.
// Encoding is canonical (Go's proto.Marshal); decoding accepts only what that
// encoding produces, so decode → encode is the identity on accepted input.
import { VidsyncError } from '../../errors.ts';
import { MAX_CERT_BYTES, MAX_GROUPS, MAX_NETWORKS } from '../limits.ts';
import { int64ToNumber, ProtoReader, ProtoWriter, WIRE_LEN, WIRE_VARINT } from './protobuf.ts';
import { CERT_FIELD, DETAILS_FIELD } from './spec.ts';

export interface RawDetails {
  name: string;
  ips: number[];
  subnets: number[];
  groups: string[];
  notBefore: number;
  notAfter: number;
  publicKey: Uint8Array;
  isCA: boolean;
  issuer: Uint8Array;
}

export interface RawCertificate {
  details: RawDetails;
  /** The Details bytes exactly as received (equal to encodeRawDetails(details)). */
  detailsBytes: Uint8Array;
  signature: Uint8Array;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

export function encodeRawDetails(d: RawDetails): Uint8Array<ArrayBuffer> {
  const w = new ProtoWriter();
  if (d.name !== '') w.bytes(DETAILS_FIELD.name, utf8.encode(d.name));
  if (d.ips.length > 0) w.packedUint32(DETAILS_FIELD.ips, d.ips);
  if (d.subnets.length > 0) w.packedUint32(DETAILS_FIELD.subnets, d.subnets);
  for (const g of d.groups) w.bytes(DETAILS_FIELD.groups, utf8.encode(g));
  if (d.notBefore !== 0) w.tag(DETAILS_FIELD.notBefore, WIRE_VARINT).int64(d.notBefore);
  if (d.notAfter !== 0) w.tag(DETAILS_FIELD.notAfter, WIRE_VARINT).int64(d.notAfter);
  if (d.publicKey.length > 0) w.bytes(DETAILS_FIELD.publicKey, d.publicKey);
  if (d.isCA) w.tag(DETAILS_FIELD.isCA, WIRE_VARINT).varint(1);
  if (d.issuer.length > 0) w.bytes(DETAILS_FIELD.issuer, d.issuer);
  return w.finish();
}

/** The whole certificate; `detailsBytes` must be the encoding of the details. */
export function encodeRawCertificate(detailsBytes: Uint8Array, signature: Uint8Array): Uint8Array<ArrayBuffer> {
  // Go marshals a non-nil Details message even when it is empty.
  const w = new ProtoWriter(detailsBytes.length + signature.length + 8);
  w.bytes(CERT_FIELD.details, detailsBytes);
  if (signature.length > 0) w.bytes(CERT_FIELD.signature, signature);
  return w.finish();
}

export function decodeRawCertificate(bytes: Uint8Array): RawCertificate {
  if (bytes.length === 0) throw new VidsyncError('proto_truncated', 'empty certificate');
  if (bytes.length > MAX_CERT_BYTES) {
    throw new VidsyncError('input_too_large', `certificate is ${bytes.length} bytes, the limit is ${MAX_CERT_BYTES}`);
  }
  const r = new ProtoReader(bytes);
  let detailsBytes: Uint8Array | undefined;
  let signature: Uint8Array = new Uint8Array(0);
  let last = 0;
  while (!r.done) {
    if (last === CERT_FIELD.signature) {
      throw new VidsyncError('proto_trailing_data', 'data after the signature field');
    }
    const { field, wire } = r.tag();
    if (field <= last) throw new VidsyncError('proto_noncanonical', `field ${field} out of order`);
    if (field === CERT_FIELD.details && wire === WIRE_LEN) {
      detailsBytes = r.lengthDelimited();
    } else if (field === CERT_FIELD.signature && wire === WIRE_LEN) {
      signature = r.lengthDelimited();
      if (signature.length === 0) throw new VidsyncError('proto_noncanonical', 'empty signature encoded');
    } else {
      throw unknownField(r, field, wire, 'certificate');
    }
    last = field;
  }
  if (!detailsBytes) throw new VidsyncError('proto_invalid', 'certificate has no details');
  return { details: decodeRawDetails(detailsBytes), detailsBytes, signature };
}

export function decodeRawDetails(bytes: Uint8Array): RawDetails {
  const d: RawDetails = {
    name: '',
    ips: [],
    subnets: [],
    groups: [],
    notBefore: 0,
    notAfter: 0,
    publicKey: new Uint8Array(0),
    isCA: false,
    issuer: new Uint8Array(0),
  };
  const r = new ProtoReader(bytes);
  let last = 0;
  while (!r.done) {
    const { field, wire } = r.tag();
    // Groups is the one repeated field that appears once per element.
    const repeatsOk = field === DETAILS_FIELD.groups && last === DETAILS_FIELD.groups;
    if (field < last || (field === last && !repeatsOk)) {
      throw new VidsyncError('proto_noncanonical', `details field ${field} out of order or repeated`);
    }
    switch (wire === WIRE_LEN || wire === WIRE_VARINT ? field : -1) {
      case DETAILS_FIELD.name:
        expectWire(wire, WIRE_LEN, 'name');
        d.name = decodeUtf8(r.lengthDelimited(), 'name');
        if (d.name === '') throw defaultEncoded('name');
        break;
      case DETAILS_FIELD.ips: d.ips = readPacked(r, wire, 'ips'); break;
      case DETAILS_FIELD.subnets: d.subnets = readPacked(r, wire, 'subnets'); break;
      case DETAILS_FIELD.groups:
        expectWire(wire, WIRE_LEN, 'groups');
        if (d.groups.length >= MAX_GROUPS) throw new VidsyncError('input_too_large', `more than ${MAX_GROUPS} groups`);
        d.groups.push(decodeUtf8(r.lengthDelimited(), 'group'));
        break;
      case DETAILS_FIELD.notBefore: d.notBefore = readTime(r, wire, 'notBefore'); break;
      case DETAILS_FIELD.notAfter: d.notAfter = readTime(r, wire, 'notAfter'); break;
      case DETAILS_FIELD.publicKey: d.publicKey = readBytes(r, wire, 'publicKey'); break;
      case DETAILS_FIELD.isCA: {
        expectWire(wire, WIRE_VARINT, 'isCA');
        const v = r.varint64();
        // Go reads any non-zero varint as true but writes 1; 0 is the omitted default.
        if (v !== 1n) throw new VidsyncError('proto_noncanonical', `isCA encoded as ${v}, canonical is 1 or absent`);
        d.isCA = true;
        break;
      }
      case DETAILS_FIELD.issuer: d.issuer = readBytes(r, wire, 'issuer'); break;
      case DETAILS_FIELD.curve:
        expectWire(wire, WIRE_VARINT, 'curve');
        // CURVE25519 (0) is never written; anything else is P256, which 1.6.1 cannot use.
        throw new VidsyncError('proto_invalid', `unsupported curve ${r.varint64()} (only Curve25519 is supported)`);
      default:
        throw unknownField(r, field, wire, 'details');
    }
    last = field;
  }
  return d;
}

/** A non-default int64 (Go omits 0). */
function readTime(r: ProtoReader, wire: number, what: string): number {
  expectWire(wire, WIRE_VARINT, what);
  const value = int64ToNumber(r.varint64());
  if (value === 0) throw defaultEncoded(what);
  return value;
}

/** Non-empty bytes (Go omits empty ones). */
function readBytes(r: ProtoReader, wire: number, what: string): Uint8Array {
  expectWire(wire, WIRE_LEN, what);
  const value = r.lengthDelimited();
  if (value.length === 0) throw defaultEncoded(what);
  return value;
}

function readPacked(r: ProtoReader, wire: number, what: string): number[] {
  if (wire === WIRE_VARINT) throw new VidsyncError('proto_noncanonical', `${what} not packed`);
  const body = r.lengthDelimited();
  if (body.length === 0) throw defaultEncoded(what);
  const inner = new ProtoReader(body);
  const out: number[] = [];
  while (!inner.done) {
    if (out.length >= MAX_NETWORKS * 2) throw new VidsyncError('input_too_large', `more than ${MAX_NETWORKS} ${what}`);
    out.push(inner.uint32());
  }
  if (out.length % 2 !== 0) throw new VidsyncError('proto_invalid', `${what} must be [address, mask] pairs, found an odd count`);
  return out;
}

function expectWire(wire: number, expected: number, what: string): void {
  if (wire !== expected) throw new VidsyncError('proto_invalid', `${what} has wire type ${wire}, expected ${expected}`);
}

function defaultEncoded(what: string): VidsyncError {
  return new VidsyncError('proto_noncanonical', `${what} encodes its default value; Go omits it`);
}

function unknownField(r: ProtoReader, field: number, wire: number, message: string): VidsyncError {
  r.skip(wire); // surfaces truncation/invalid wire types first
  return new VidsyncError('proto_noncanonical', `unknown ${message} field ${field}: nebula would drop it and compute another fingerprint`);
}

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8Strict.decode(bytes);
  } catch (cause) {
    // Go strings may hold any bytes, but proto3 requires UTF-8 and our types are strings.
    throw new VidsyncError('proto_invalid', `${what} is not valid UTF-8`, { cause });
  }
}
