// Curve25519 keys as nebula uses them: X25519 key pairs for hosts (32-byte
// private scalar, 32-byte public key) and Ed25519 key pairs for CAs (nebula
// stores the private key as 64 bytes: seed then public key), in nebula's PEM.
// The arithmetic is crypto.ts's: WebCrypto, or tweetnacl per capability where
// the runtime lacks it.
import { VidsyncError } from '../errors.ts';
import { bytesEqual } from '../bytes.ts';
import { type Backend, type Ed25519, ed25519, tweetnacl, webcrypto, x25519 } from './crypto.ts';
import { decodeSinglePem, encodePem } from './pem.ts';
import { ED25519_PRIVATE_KEY_LENGTH, ED25519_SIGNATURE_LENGTH, KEY_LENGTH, PEM_BANNER } from './v1/spec.ts';

export interface KeyPair {
  publicKey: Uint8Array;
  /** X25519: 32-byte scalar. Ed25519: 64 bytes, seed || public key (nebula's layout). */
  privateKey: Uint8Array;
}

/** Signs with a CA key; the library never needs the raw key if you supply one (e.g. a KMS). */
export interface Ed25519Signer {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(n));
}

// ---- X25519 (hosts) ----

export async function generateX25519KeyPair(): Promise<KeyPair> {
  const privateKey = randomBytes(KEY_LENGTH);
  return { privateKey, publicKey: await x25519PublicKeyFromPrivate(privateKey) };
}

export async function x25519PublicKeyFromPrivate(privateKey: Uint8Array): Promise<Uint8Array> {
  checkLength(privateKey, KEY_LENGTH, 'X25519 private key');
  return (await x25519()).publicKeyFromPrivate(privateKey);
}

// ---- Ed25519 (CAs) ----

export async function generateEd25519KeyPair(): Promise<KeyPair> {
  return ed25519KeyPairFromSeed(randomBytes(32));
}

export async function ed25519KeyPairFromSeed(seed: Uint8Array): Promise<KeyPair> {
  checkLength(seed, 32, 'Ed25519 seed');
  const publicKey = await (await ed25519()).publicKeyFromSeed(seed);
  const privateKey = new Uint8Array(ED25519_PRIVATE_KEY_LENGTH);
  privateKey.set(seed, 0);
  privateKey.set(publicKey, 32);
  return { publicKey, privateKey };
}

/**
 * A signer for a nebula Ed25519 private key (64 bytes). Checks that the stored
 * public half belongs to the seed (ca_key_mismatch) and imports the key once.
 * `backend` picks an implementation explicitly (benchmarks, tests); by
 * default the runtime's is used.
 */
export async function createEd25519Signer(privateKey: Uint8Array, options: { backend?: Backend } = {}): Promise<Ed25519Signer> {
  checkLength(privateKey, ED25519_PRIVATE_KEY_LENGTH, 'Ed25519 private key');
  const impl: Ed25519 = options.backend === undefined ? await ed25519() : options.backend === 'webcrypto' ? webcrypto.ed25519 : tweetnacl.ed25519;
  const seed = privateKey.slice(0, 32);
  const publicKey = privateKey.slice(32);
  if (!bytesEqual(await impl.publicKeyFromSeed(seed), publicKey)) {
    throw new VidsyncError('ca_key_mismatch', 'the public half of the Ed25519 private key does not match its seed');
  }
  return { publicKey, sign: await impl.signerFor(seed) };
}

/** Ed25519 verification; false (never an exception) for a bad key, length or signature. */
export async function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (publicKey.length !== KEY_LENGTH || signature.length !== ED25519_SIGNATURE_LENGTH) return false;
  return (await ed25519()).verify(publicKey, message, signature);
}

// ---- PEM ----

export const x25519PublicKeyToPem = (key: Uint8Array): string => encodePem(PEM_BANNER.x25519Public, checkLength(key, KEY_LENGTH, 'X25519 public key'));
export const x25519PrivateKeyToPem = (key: Uint8Array): string => encodePem(PEM_BANNER.x25519Private, checkLength(key, KEY_LENGTH, 'X25519 private key'));
export const ed25519PublicKeyToPem = (key: Uint8Array): string => encodePem(PEM_BANNER.ed25519Public, checkLength(key, KEY_LENGTH, 'Ed25519 public key'));
export const ed25519PrivateKeyToPem = (key: Uint8Array): string =>
  encodePem(PEM_BANNER.ed25519Private, checkLength(key, ED25519_PRIVATE_KEY_LENGTH, 'Ed25519 private key'));

export function parseX25519PublicKeyPem(pem: string | Uint8Array): { publicKey: Uint8Array } {
  return { publicKey: checkLength(decodeSinglePem(pem, PEM_BANNER.x25519Public), KEY_LENGTH, 'X25519 public key') };
}
export function parseX25519PrivateKeyPem(pem: string | Uint8Array): { privateKey: Uint8Array } {
  return { privateKey: checkLength(decodeSinglePem(pem, PEM_BANNER.x25519Private), KEY_LENGTH, 'X25519 private key') };
}
/** Returns the 64-byte key; the seed/public consistency is checked by createEd25519Signer. */
export function parseEd25519PrivateKeyPem(pem: string | Uint8Array): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const privateKey = checkLength(decodeSinglePem(pem, PEM_BANNER.ed25519Private), ED25519_PRIVATE_KEY_LENGTH, 'Ed25519 private key');
  return { privateKey, publicKey: privateKey.slice(32) };
}

// ---- helpers ----

function checkLength(key: Uint8Array, length: number, what: string): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== length) {
    throw new VidsyncError('key_length', `${what} must be ${length} bytes, got ${key instanceof Uint8Array ? key.length : typeof key}`);
  }
  return key;
}
