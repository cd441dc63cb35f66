// A tiny protobuf writer and a strict reader: just the wire types the Nebula
// certificate uses (varint, length-delimited), encoded the way Go's
// google.golang.org/protobuf encodes them. The reader refuses non-minimal
// varints and truncation; message-level rules (field order, defaults, unknown
// fields) are enforced by the certificate codec in wire.ts.
import { VidsyncError } from '../../errors.ts';

export const WIRE_VARINT = 0;
export const WIRE_LEN = 2;

const TWO_POW_32 = 2 ** 32;

export class ProtoWriter {
  private buf: Uint8Array<ArrayBuffer>;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** An unsigned varint of a non-negative safe integer. */
  varint(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint out of range: ${n}`);
    this.reserve(10);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
    return this;
  }

  /** A proto3 int64: negative numbers are their 64-bit two's complement (10 bytes). */
  int64(n: number): this {
    if (n >= 0) return this.varint(n);
    let v = BigInt.asUintN(64, BigInt(n));
    this.reserve(10);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN).varint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.len);
    this.len += value.length;
    return this;
  }

  /** Packed repeated uint32, as proto3 writes `repeated uint32`. */
  packedUint32(field: number, values: readonly number[]): this {
    let size = 0;
    for (const v of values) size += varintSize(v);
    this.tag(field, WIRE_LEN).varint(size);
    for (const v of values) this.varint(v);
    return this;
  }

  finish(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.len);
  }
}

export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

export class ProtoReader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  /** Reads a varint as a bigint (up to 64 bits), refusing non-minimal encodings. */
  varint64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.bytes.length) throw truncated('varint');
      const b = this.bytes[this.pos++]!;
      if (i === 9 && b > 1) throw new VidsyncError('proto_invalid', 'varint overflows 64 bits');
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        if (b === 0 && i > 0) throw new VidsyncError('proto_noncanonical', 'varint is not minimally encoded');
        return result;
      }
      shift += 7n;
    }
    throw new VidsyncError('proto_invalid', 'varint longer than 10 bytes');
  }

  /** A varint that must fit in a safe integer no larger than `max` (lengths, tags, uint32). */
  varintUpTo(max: number, what: string): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 6; i++) {
      if (this.pos >= this.bytes.length) throw truncated(what);
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (b === 0 && i > 0) throw new VidsyncError('proto_noncanonical', `${what} is not minimally encoded`);
        if (result > max) throw new VidsyncError('proto_invalid', `${what} out of range: ${result}`);
        return result;
      }
      mul *= 0x80;
    }
    this.pos = start;
    throw new VidsyncError('proto_invalid', `${what} out of range`);
  }

  tag(): { field: number; wire: number } {
    const t = this.varintUpTo(TWO_POW_32 - 1, 'field tag');
    const field = Math.floor(t / 8);
    if (field === 0) throw new VidsyncError('proto_invalid', 'field number 0');
    return { field, wire: t % 8 };
  }

  uint32(): number {
    return this.varintUpTo(TWO_POW_32 - 1, 'uint32');
  }

  lengthDelimited(): Uint8Array {
    const n = this.varintUpTo(Number.MAX_SAFE_INTEGER, 'length');
    if (n > this.bytes.length - this.pos) throw truncated('length-delimited field');
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Skips a field of any standard wire type (used only to report what follows). */
  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.varint64();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.lengthDelimited();
        return;
      case 5:
        this.advance(4);
        return;
      default:
        throw new VidsyncError('proto_invalid', `unsupported wire type ${wire}`);
    }
  }

  private advance(n: number): void {
    if (n > this.bytes.length - this.pos) throw truncated('fixed-width field');
    this.pos += n;
  }
}

function truncated(what: string): VidsyncError {
  return new VidsyncError('proto_truncated', `input ends inside a ${what}`);
}

/** Converts an int64 read as unsigned 64 bits to a JS number (exact within ±2^53). */
export function int64ToNumber(v: bigint): number {
  const signed = BigInt.asIntN(64, v);
  if (signed > BigInt(Number.MAX_SAFE_INTEGER) || signed < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new VidsyncError('proto_invalid', 'int64 outside the range this implementation represents');
  }
  return Number(signed);
}
