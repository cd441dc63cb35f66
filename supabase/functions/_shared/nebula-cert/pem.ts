// PEM as Go's encoding/pem writes it (64-column base64, "\n" line ends), and a
// strict reader for the Nebula banners. Text outside blocks is allowed only
// where nebula allows it: between blocks of a bundle (comments in a CA file).
import { VidsyncError } from '../errors.ts';
import { MAX_PEM_BYTES } from './limits.ts';
import { base64ToBytes, bytesToBase64 } from '../base64.ts';

export interface PemBlock {
  type: string;
  bytes: Uint8Array;
}

export function encodePem(type: string, bytes: Uint8Array): string {
  const b64 = bytesToBase64(bytes);
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + '\n';
  return `-----BEGIN ${type}-----\n${body}-----END ${type}-----\n`;
}

const BEGIN = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n/g;

/**
 * Every block in the input, in order. Text before, between and after blocks
 * is ignored (Go's pem.Decode skips it too); at least one block is required.
 */
export function decodePemBlocks(input: string | Uint8Array): PemBlock[] {
  const text = pemText(input);
  const blocks: PemBlock[] = [];
  BEGIN.lastIndex = 0;
  for (;;) {
    const m = BEGIN.exec(text);
    if (!m) break;
    const type = m[1]!;
    const endMarker = `-----END ${type}-----`;
    const end = text.indexOf(endMarker, BEGIN.lastIndex);
    if (end < 0) throw new VidsyncError('pem_invalid', `no END line for ${type}`);
    blocks.push({ type, bytes: decodeBody(text.slice(BEGIN.lastIndex, end)) });
    BEGIN.lastIndex = end + endMarker.length;
  }
  if (blocks.length === 0) throw new VidsyncError('pem_invalid', 'input did not contain a valid PEM encoded block');
  return blocks;
}

/** Exactly one block of the given type and nothing but whitespace around it. */
export function decodeSinglePem(input: string | Uint8Array, expectedType: string): Uint8Array {
  const text = pemText(input);
  const blocks = decodePemBlocks(text);
  if (blocks.length > 1) throw new VidsyncError('pem_invalid', `expected one PEM block, found ${blocks.length}`);
  const block = blocks[0]!;
  if (block.type !== expectedType) {
    throw new VidsyncError('pem_banner', `expected a ${expectedType} block, found ${block.type}`, {
      details: { expected: expectedType, found: block.type },
    });
  }
  const trimmed = text.trim();
  if (!trimmed.startsWith('-----BEGIN ') || !trimmed.endsWith(`-----END ${expectedType}-----`)) {
    throw new VidsyncError('pem_invalid', 'unexpected text around the PEM block');
  }
  return block.bytes;
}

function pemText(input: string | Uint8Array): string {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > MAX_PEM_BYTES) {
    throw new VidsyncError('input_too_large', `PEM input is ${size} bytes, the limit is ${MAX_PEM_BYTES}`);
  }
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch (cause) {
    throw new VidsyncError('pem_invalid', 'PEM input is not text', { cause });
  }
}

function decodeBody(body: string): Uint8Array {
  // Go allows RFC 1421 headers ("Key: value") before the base64; nebula never writes them.
  if (body.includes(':')) throw new VidsyncError('pem_invalid', 'PEM headers are not supported');
  const b64 = body.replace(/[ \t\r\n]/g, '');
  const bytes = base64ToBytes(b64);
  if (!bytes) throw new VidsyncError('pem_invalid', 'PEM body is not valid base64');
  // Reject non-canonical padding bits so one byte string has one PEM body.
  if (bytesToBase64(bytes) !== b64) throw new VidsyncError('pem_invalid', 'PEM body is not canonical base64');
  return bytes;
}
