// A tiny strict DER reader and canonical writer: exactly what Nebula's v2
// certificate (codec.ts) needs — single-byte tags (universal and
// context-specific), definite lengths, OCTET STRING / UTF8String / INTEGER
// contents — with the rules Go's x/crypto/cryptobyte applies when nebula
// reads: no high-tag-number form, no indefinite lengths, minimal length
// encoding, minimal two's-complement integers. Everything else is refused with
// a VidsyncError (proto_* codes; the certificate codes cover both encodings).
import { VidsyncError } from '../../errors.ts';

/** Universal tags nebula uses. */
export const DER_TAG = {
  integer: 0x02,
  octetString: 0x04,
  utf8String: 0x0c,
  sequence: 0x30,
} as const;

export const CLASS_CONTEXT_SPECIFIC = 0x80;
export const CONSTRUCTED = 0x20;

/** Context-specific tag [n], primitive or constructed, as nebula's cert_v2.go builds them. */
export function contextTag(n: number, constructed: boolean): number {
  return n | CLASS_CONTEXT_SPECIFIC | (constructed ? CONSTRUCTED : 0);
}

/**
 * The longest length our reader accepts in one element. Nebula caps a whole
 * certificate at 65536 bytes (cert_v2.go MaxCertificateSize); lengths need at
 * most 4 length octets in cryptobyte. Our certificate limit is far below.
 */
export const MAX_DER_ELEMENT_BYTES = 65536;
/** INTEGERs nebula writes are int64: at most 8 content bytes. */
export const MAX_DER_INTEGER_BYTES = 8;

export interface DerElement {
  tag: number;
  /** Content octets (a view into the input). */
  content: Uint8Array;
  /** The whole TLV (a view into the input): nebula signs the raw Details TLV. */
  raw: Uint8Array;
}

export class DerReader {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  /** The tag of the next element, or undefined at the end. */
  peekTag(): number | undefined {
    return this.done ? undefined : this.bytes[this.pos];
  }

  /** Reads the next element, which must carry `tag`. */
  read(tag: number, what: string): DerElement {
    const found = this.peekTag();
    if (found === undefined) throw new VidsyncError('proto_truncated', `input ends before ${what}`);
    if (found !== tag) {
      throw new VidsyncError('proto_invalid', `${what}: expected tag 0x${hex2(tag)}, found 0x${hex2(found)}`);
    }
    return this.next(what);
  }

  /** Reads the next element if it carries `tag`; otherwise leaves the reader unchanged. */
  readOptional(tag: number, what: string): DerElement | undefined {
    return this.peekTag() === tag ? this.next(what) : undefined;
  }

  /** Requires that nothing follows. */
  end(what: string): void {
    if (!this.done) throw new VidsyncError('proto_trailing_data', `${this.bytes.length - this.pos} unexpected bytes after ${what}`);
  }

  private next(what: string): DerElement {
    const start = this.pos;
    const tag = this.bytes[this.pos++]!;
    if ((tag & 0x1f) === 0x1f) throw new VidsyncError('proto_invalid', `${what}: high-tag-number form is not used by nebula`);
    if (this.done) throw new VidsyncError('proto_truncated', `input ends inside the length of ${what}`);
    const first = this.bytes[this.pos++]!;
    let length: number;
    if (first < 0x80) {
      length = first;
    } else {
      const octets = first & 0x7f;
      if (octets === 0) throw new VidsyncError('proto_invalid', `${what}: indefinite length is not DER`);
      if (octets > 3) throw new VidsyncError('input_too_large', `${what}: length needs ${octets} octets, the limit is ${MAX_DER_ELEMENT_BYTES} bytes`);
      if (octets > this.bytes.length - this.pos) throw new VidsyncError('proto_truncated', `input ends inside the length of ${what}`);
      length = 0;
      for (let i = 0; i < octets; i++) length = length * 256 + this.bytes[this.pos++]!;
      // DER: the long form only when needed, and without leading zero octets.
      if (length < 0x80 || this.bytes[this.pos - octets] === 0) {
        throw new VidsyncError('proto_noncanonical', `${what}: length is not minimally encoded`);
      }
      if (length > MAX_DER_ELEMENT_BYTES) throw new VidsyncError('input_too_large', `${what} is ${length} bytes, the limit is ${MAX_DER_ELEMENT_BYTES}`);
    }
    if (length > this.bytes.length - this.pos) throw new VidsyncError('proto_truncated', `input ends inside ${what}`);
    const content = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return { tag, content, raw: this.bytes.subarray(start, this.pos) };
  }
}

/** A minimal two's-complement INTEGER's content as a JS number (exact within ±2^53). */
export function decodeDerInteger(content: Uint8Array, what: string): number {
  if (content.length === 0) throw new VidsyncError('proto_invalid', `${what}: empty INTEGER`);
  if (content.length > MAX_DER_INTEGER_BYTES) throw new VidsyncError('proto_invalid', `${what}: INTEGER does not fit in 64 bits`);
  if (content.length > 1) {
    const redundant = (content[0] === 0x00 && content[1]! < 0x80) || (content[0] === 0xff && content[1]! >= 0x80);
    if (redundant) throw new VidsyncError('proto_noncanonical', `${what}: INTEGER is not minimally encoded`);
  }
  let v = 0n;
  for (const b of content) v = (v << 8n) | BigInt(b);
  v = BigInt.asIntN(content.length * 8, v);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new VidsyncError('proto_invalid', `${what}: INTEGER outside the range this implementation represents`);
  }
  return Number(v);
}

/** The minimal two's-complement content octets of a safe integer. */
export function encodeDerInteger(n: number): Uint8Array {
  if (!Number.isSafeInteger(n)) throw new VidsyncError('validation_failed', `not an integer: ${n}`);
  let v = BigInt(n);
  const out: number[] = [];
  do {
    out.unshift(Number(BigInt.asUintN(8, v)));
    v >>= 8n; // arithmetic shift: -1 stays -1
  } while (!(v === 0n && out[0]! < 0x80) && !(v === -1n && out[0]! >= 0x80));
  return Uint8Array.from(out);
}

/** One TLV with a minimal length. */
export function derElement(tag: number, ...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const p of parts) length += p.length;
  if (length > MAX_DER_ELEMENT_BYTES) throw new VidsyncError('input_too_large', `element of ${length} bytes, the limit is ${MAX_DER_ELEMENT_BYTES}`);
  const header = derHeader(tag, length);
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let o = header.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function derHeader(tag: number, length: number): number[] {
  if (length < 0x80) return [tag, length];
  const octets: number[] = [];
  for (let l = length; l > 0; l = Math.floor(l / 256)) octets.unshift(l % 256);
  return [tag, 0x80 | octets.length, ...octets];
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
