// ECDSA P-256 with SHA-256, for v2 certificates on the P256 curve: nebula
// signs an ASN.1 ECDSA-Sig-Value; WebCrypto wants r || s, so we convert.
// Like ed25519Verify, the answer is a boolean: malformed keys or signatures
// are simply not valid.
import { asBuffer } from '../../bytes.ts';
import { DER_TAG, DerReader } from './der.ts';

const P256_SCALAR_BYTES = 32;

/** ECDSA P-256 / SHA-256 over `message`; `publicKey` an uncompressed point, `signature` DER. */
export async function ecdsaP256Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const raw = ecdsaDerToRaw(signature);
  if (!raw || publicKey.length !== 65 || publicKey[0] !== 0x04) return false;
  try {
    const key = await crypto.subtle.importKey('raw', asBuffer(publicKey), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, asBuffer(raw), asBuffer(message));
  } catch {
    return false;
  }
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } → r || s (32 bytes each); undefined if malformed. */
export function ecdsaDerToRaw(signature: Uint8Array): Uint8Array<ArrayBuffer> | undefined {
  try {
    const outer = new DerReader(signature);
    const seq = outer.read(DER_TAG.sequence, 'ECDSA signature');
    outer.end('the ECDSA signature');
    const inner = new DerReader(seq.content);
    const r = scalar(inner.read(DER_TAG.integer, 'r').content);
    const s = scalar(inner.read(DER_TAG.integer, 's').content);
    inner.end('s');
    if (!r || !s) return undefined;
    const out = new Uint8Array(2 * P256_SCALAR_BYTES);
    out.set(r, P256_SCALAR_BYTES - r.length);
    out.set(s, 2 * P256_SCALAR_BYTES - s.length);
    return out;
  } catch {
    return undefined;
  }
}

/** A positive, minimally encoded INTEGER of at most 32 bytes of magnitude. */
function scalar(content: Uint8Array): Uint8Array | undefined {
  if (content.length === 0 || content[0]! >= 0x80) return undefined;
  if (content.length > 1 && content[0] === 0 && content[1]! < 0x80) return undefined;
  const magnitude = content[0] === 0 ? content.subarray(1) : content;
  return magnitude.length <= P256_SCALAR_BYTES && magnitude.length > 0 ? magnitude : undefined;
}
