// Sealing CA private keys for storage: AES-256-GCM (WebCrypto) under a master
// key that lives only in a function secret. The database holds the sealed
// string alone, so a database dump without the secret reveals no CA key.
//
// Sealed format: `v2.<key id>.<base64 IV>.<base64 ciphertext+tag>` — the id
// of the master key that sealed it, and a random 96-bit IV per seal. The key
// id is derived from the key (a hash prefix: it names the key without
// revealing it), so operators see which key a row needs and a rotation can
// tell what is left to re-seal. The older `v1.<IV>.<ciphertext>` (no id) still
// opens: every key of the keyring is tried.
// The associated data is the project id: a sealed key copied into another
// project's row fails to open instead of signing for that project.
//
// Rotation: a keyring holds the newest key (it seals) and older ones (they
// only open). See scripts/ops/reseal-ca-keys.ts and the README's runbook.
import { VidsyncError } from '../errors.ts';
import { base64ToBytes, bytesToBase64 } from '../base64.ts';

const VERSION = 'v2';
const LEGACY_VERSION = 'v1';
const IV_BYTES = 12;
const MASTER_KEY_BYTES = 32;
/** Separates our use of the master key from any other, and versions the AAD layout. */
const AAD_CONTEXT = 'vidsync.ca-key.v1:';
/** Separates the key id's hash from any other hash of the key. */
const KEY_ID_CONTEXT = 'vidsync.master-key-id.v1:';
/** 8 bytes of SHA-256 in hex: ids of distinct random keys do not collide in practice. */
const KEY_ID_HEX = 16;

/** One master key: its id (safe to log and store) and the non-extractable AES key. */
export interface MasterKey {
  readonly id: string;
  readonly key: CryptoKey;
}

/** The master keys a deployment holds: `sealing` (the newest) seals, every one opens. */
export interface MasterKeyring {
  readonly sealing: MasterKey;
  /** Every key, the sealing one first. */
  readonly keys: readonly MasterKey[];
}

/**
 * Imports a keyring from the secrets' form (base64 of exactly 32 random bytes
 * each; `generateMasterKey()` or `openssl rand -base64 32`), newest first.
 * The CryptoKeys are non-extractable: nothing later can read the raw bytes
 * back out of them.
 */
export async function importMasterKeys(secrets: readonly string[]): Promise<MasterKeyring> {
  if (secrets.length === 0) throw new VidsyncError('master_key_invalid', 'No master key given.');
  const keys: MasterKey[] = [];
  for (const [index, secret] of secrets.entries()) {
    const raw = base64ToBytes(secret.trim());
    if (!raw || raw.length !== MASTER_KEY_BYTES) {
      // Say what is wrong with it, never what it is.
      throw new VidsyncError('master_key_invalid', `Master key #${index + 1} must be base64 of exactly ${MASTER_KEY_BYTES} bytes.`, {
        details: { position: index + 1, decodedBytes: raw?.length ?? null },
      });
    }
    const id = await keyIdOf(raw);
    if (keys.some((k) => k.id === id)) throw new VidsyncError('master_key_invalid', `Master key ${id} is listed twice.`, { details: { keyId: id } });
    const key = await crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    keys.push({ id, key });
  }
  return { sealing: keys[0]!, keys };
}

/** A keyring of one key. */
export function importMasterKey(secret: string): Promise<MasterKeyring> {
  return importMasterKeys([secret]);
}

/** The id of a master key given in its secret form, as sealed values name it. */
export async function masterKeyId(secret: string): Promise<string> {
  return (await importMasterKey(secret)).sealing.id;
}

/** The id of the key that sealed `sealed`, or null for the legacy v1 format (which names none). */
export function sealedKeyId(sealed: string): string | null {
  const parts = sealed.split('.');
  return parts.length === 4 && parts[0] === VERSION ? parts[1]! : null;
}

async function keyIdOf(raw: Uint8Array): Promise<string> {
  const context = new TextEncoder().encode(KEY_ID_CONTEXT);
  const input = new Uint8Array(context.length + raw.length);
  input.set(context);
  input.set(raw, context.length);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', input));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('').slice(0, KEY_ID_HEX);
}

/** A new master key in its secret form, for `supabase secrets set` and the dev stack. */
export function generateMasterKey(): string {
  return bytesToBase64(crypto.getRandomValues(new Uint8Array(MASTER_KEY_BYTES)));
}

/** Encrypts a CA private key PEM for the project `aad` (its canonical lowercase id) under the keyring's newest key. */
export async function sealCaKey(keyring: MasterKeyring, privateKeyPem: string, aad: string): Promise<string> {
  const { id, key } = keyring.sealing;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aadBytes(aad) }, key, new TextEncoder().encode(privateKeyPem));
  return `${VERSION}.${id}.${bytesToBase64(iv)}.${bytesToBase64(new Uint8Array(ciphertext))}`;
}

/**
 * Decrypts a sealed key with the key it names. A key id the keyring does not
 * hold is `master_key_unknown`, naming the id (the key was retired before
 * every CA was re-sealed). A wrong project, a truncated or altered value all
 * fail the same way (`ca_key_unreadable`): GCM cannot tell them apart, and
 * the caller could do nothing different anyway.
 */
export async function openCaKey(keyring: MasterKeyring, sealed: string, aad: string): Promise<string> {
  const parts = sealed.split('.');
  let candidates: readonly MasterKey[];
  let ivText: string | undefined;
  let ciphertextText: string | undefined;
  if (parts.length === 4 && parts[0] === VERSION) {
    const id = parts[1]!;
    const key = keyring.keys.find((k) => k.id === id);
    if (!key) {
      throw new VidsyncError(
        'master_key_unknown',
        `The stored CA key was sealed with master key ${id}, which this deployment does not hold; add that key back to NEBULA_CA_MASTER_KEYS.`,
        { details: { keyId: id } },
      );
    }
    candidates = [key];
    [, , ivText, ciphertextText] = parts;
  } else if (parts.length === 3 && parts[0] === LEGACY_VERSION) {
    candidates = keyring.keys;
    [, ivText, ciphertextText] = parts;
  } else {
    throw new VidsyncError('ca_key_unreadable', 'The stored CA key is not in a sealed format (v2 or v1).');
  }
  const iv = base64ToBytes(ivText!);
  const ciphertext = base64ToBytes(ciphertextText!);
  if (!iv || iv.length !== IV_BYTES || !ciphertext) {
    throw new VidsyncError('ca_key_unreadable', 'The stored CA key is not in a sealed format (v2 or v1).');
  }
  let lastCause: unknown;
  for (const { key } of candidates) {
    try {
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: iv as Uint8Array<ArrayBuffer>, additionalData: aadBytes(aad) },
        key,
        ciphertext as Uint8Array<ArrayBuffer>,
      );
      return new TextDecoder().decode(plain);
    } catch (cause) {
      lastCause = cause;
    }
  }
  throw new VidsyncError('ca_key_unreadable', 'The stored CA key cannot be opened with the master keys for this project.', { cause: lastCause });
}

function aadBytes(aad: string): Uint8Array<ArrayBuffer> {
  if (aad === '') throw new VidsyncError('internal', 'Sealing a CA key needs the project id as associated data.');
  return new TextEncoder().encode(AAD_CONTEXT + aad);
}
