// Sealing CA private keys for storage: AES-256-GCM (WebCrypto) under a master
// key that lives only in a function secret. The database holds the sealed
// string alone, so a database dump without the secret reveals no CA key.
//
// Sealed format: `v1.<base64 IV>.<base64 ciphertext+tag>` — a random 96-bit IV
// per seal. The associated data is the project id: a sealed key copied into
// another project's row fails to open instead of signing for that project.
// The version prefix leaves room for master-key rotation (a `v2` with a key id).
import { VidsyncError } from '../errors.ts';
import { base64ToBytes, bytesToBase64 } from '../base64.ts';

const VERSION = 'v1';
const IV_BYTES = 12;
const MASTER_KEY_BYTES = 32;
/** Separates our use of the master key from any other, and versions the AAD layout. */
const AAD_CONTEXT = 'vidsync.ca-key.v1:';

/**
 * Imports the master key from its secret form: base64 of exactly 32 random
 * bytes (`generateMasterKey()`, or `openssl rand -base64 32`). The CryptoKey is
 * non-extractable: nothing later can read the raw bytes back out of it.
 */
export async function importMasterKey(secret: string): Promise<CryptoKey> {
  const raw = base64ToBytes(secret.trim());
  if (!raw || raw.length !== MASTER_KEY_BYTES) {
    // Say what is wrong with it, never what it is.
    throw new VidsyncError('master_key_invalid', `The master key must be base64 of exactly ${MASTER_KEY_BYTES} bytes.`, {
      details: { decodedBytes: raw?.length ?? null },
    });
  }
  return crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** A new master key in its secret form, for `supabase secrets set` and the dev stack. */
export function generateMasterKey(): string {
  return bytesToBase64(crypto.getRandomValues(new Uint8Array(MASTER_KEY_BYTES)));
}

/** Encrypts a CA private key PEM for the project `aad` (its canonical lowercase id). */
export async function sealCaKey(masterKey: CryptoKey, privateKeyPem: string, aad: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: aadBytes(aad) },
    masterKey,
    new TextEncoder().encode(privateKeyPem),
  );
  return `${VERSION}.${bytesToBase64(iv)}.${bytesToBase64(new Uint8Array(ciphertext))}`;
}

/**
 * Decrypts a sealed key. A wrong master key, a wrong project, a truncated or
 * altered value all fail the same way (`ca_key_unreadable`): GCM cannot tell
 * them apart, and the caller could do nothing different anyway.
 */
export async function openCaKey(masterKey: CryptoKey, sealed: string, aad: string): Promise<string> {
  const parts = sealed.split('.');
  const iv = parts.length === 3 && parts[0] === VERSION ? base64ToBytes(parts[1]!) : undefined;
  const ciphertext = iv ? base64ToBytes(parts[2]!) : undefined;
  if (!iv || iv.length !== IV_BYTES || !ciphertext) {
    throw new VidsyncError('ca_key_unreadable', 'The stored CA key is not in the sealed v1 format.');
  }
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: iv as Uint8Array<ArrayBuffer>, additionalData: aadBytes(aad) },
      masterKey,
      ciphertext as Uint8Array<ArrayBuffer>,
    );
  } catch (cause) {
    throw new VidsyncError('ca_key_unreadable', 'The stored CA key cannot be opened with this master key for this project.', {
      cause,
    });
  }
  return new TextDecoder().decode(plain);
}

function aadBytes(aad: string): Uint8Array<ArrayBuffer> {
  if (aad === '') throw new VidsyncError('internal', 'Sealing a CA key needs the project id as associated data.');
  return new TextEncoder().encode(AAD_CONTEXT + aad);
}
