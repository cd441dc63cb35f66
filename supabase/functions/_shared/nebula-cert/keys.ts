// Curve25519 keys as nebula uses them: X25519 key pairs for hosts (32-byte
// private scalar, 32-byte public key) and Ed25519 key pairs for CAs (nebula
// stores the private key as 64 bytes: seed then public key). WebCrypto is the
// fast path (Deno, Node 20+); tweetnacl is the fallback for runtimes without
// Ed25519/X25519 in crypto.subtle. Ed25519 is deterministic and X25519 public
// keys are a function of the private key, so both give identical bytes.
import nacl from 'tweetnacl';
import { VidsyncError } from '../errors.ts';
import { asBuffer, bytesEqual, hex, toHex } from './bytes.ts';
import { base64ToBytes } from '../base64.ts';
import { decodeSinglePem, encodePem } from './pem.ts';
import { ED25519_PRIVATE_KEY_LENGTH, ED25519_SIGNATURE_LENGTH, KEY_LENGTH, PEM_BANNER } from './spec.ts';

export type CryptoBackend = 'webcrypto' | 'tweetnacl';

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

// PKCS#8 wrappers of a raw 32-byte key (RFC 8410): fixed 16-byte prefixes.
const PKCS8_ED25519 = hex('302e020100300506032b657004220420');
const PKCS8_X25519 = hex('302e020100300506032b656e04220420');

let forcedBackend: CryptoBackend | undefined;
let detectedBackend: Promise<CryptoBackend> | undefined;

/** Forces a backend ('auto' = WebCrypto when the runtime has it). Tests use it to compare both. */
export function useCryptoBackend(backend: CryptoBackend | 'auto'): void {
  forcedBackend = backend === 'auto' ? undefined : backend;
}

export function cryptoBackend(): Promise<CryptoBackend> {
  if (forcedBackend) return Promise.resolve(forcedBackend);
  detectedBackend ??= detectWebCrypto();
  return detectedBackend;
}

async function detectWebCrypto(): Promise<CryptoBackend> {
  try {
    const seed = new Uint8Array(32);
    await importPkcs8('Ed25519', seed, ['sign']);
    await importPkcs8('X25519', seed, ['deriveBits']);
    return 'webcrypto';
  } catch {
    return 'tweetnacl';
  }
}

export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(n));
}

// ---- X25519 (hosts) ----

export async function generateX25519KeyPair(): Promise<KeyPair> {
  const privateKey = randomBytes(KEY_LENGTH);
  return { privateKey, publicKey: await x25519PublicKeyFromPrivate(privateKey) };
}

export async function x25519PublicKeyFromPrivate(privateKey: Uint8Array): Promise<Uint8Array> {
  checkLength(privateKey, KEY_LENGTH, 'X25519 private key');
  if ((await cryptoBackend()) === 'tweetnacl') return nacl.scalarMult.base(privateKey);
  const key = await importPkcs8('X25519', privateKey, ['deriveBits']);
  return publicFromJwk(key);
}

// ---- Ed25519 (CAs) ----

export async function generateEd25519KeyPair(): Promise<KeyPair> {
  return ed25519KeyPairFromSeed(randomBytes(32));
}

export async function ed25519KeyPairFromSeed(seed: Uint8Array): Promise<KeyPair> {
  checkLength(seed, 32, 'Ed25519 seed');
  let publicKey: Uint8Array;
  if ((await cryptoBackend()) === 'tweetnacl') {
    publicKey = nacl.sign.keyPair.fromSeed(seed).publicKey;
  } else {
    publicKey = await publicFromJwk(await importPkcs8('Ed25519', seed, ['sign']));
  }
  const privateKey = new Uint8Array(ED25519_PRIVATE_KEY_LENGTH);
  privateKey.set(seed, 0);
  privateKey.set(publicKey, 32);
  return { publicKey, privateKey };
}

/**
 * A signer for a nebula Ed25519 private key (64 bytes). Checks that the stored
 * public half belongs to the seed (ca_key_mismatch) and imports the key once.
 */
export async function createEd25519Signer(privateKey: Uint8Array): Promise<Ed25519Signer> {
  checkLength(privateKey, ED25519_PRIVATE_KEY_LENGTH, 'Ed25519 private key');
  const seed = privateKey.slice(0, 32);
  const storedPublic = privateKey.slice(32);
  const backend = await cryptoBackend();
  const derived = await ed25519KeyPairFromSeed(seed);
  if (!bytesEqual(derived.publicKey, storedPublic)) {
    throw new VidsyncError('ca_key_mismatch', 'the public half of the Ed25519 private key does not match its seed');
  }
  if (backend === 'tweetnacl') {
    const secretKey = nacl.sign.keyPair.fromSeed(seed).secretKey;
    return {
      publicKey: storedPublic,
      sign: async (message) => nacl.sign.detached(message, secretKey),
    };
  }
  const key = await importPkcs8('Ed25519', seed, ['sign']);
  return {
    publicKey: storedPublic,
    sign: async (message) => new Uint8Array(await crypto.subtle.sign('Ed25519', key, asBuffer(message))),
  };
}

const verifyKeyCache = new Map<string, CryptoKey>();
const VERIFY_KEY_CACHE_SIZE = 64;

/** Ed25519 verification; false (never an exception) for a bad key, length or signature. */
export async function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (publicKey.length !== KEY_LENGTH || signature.length !== ED25519_SIGNATURE_LENGTH) return false;
  if ((await cryptoBackend()) === 'tweetnacl') return nacl.sign.detached.verify(message, signature, publicKey);
  try {
    const id = toHex(publicKey);
    let key = verifyKeyCache.get(id);
    if (!key) {
      key = await crypto.subtle.importKey('raw', asBuffer(publicKey), 'Ed25519', false, ['verify']);
      if (verifyKeyCache.size >= VERIFY_KEY_CACHE_SIZE) verifyKeyCache.clear();
      verifyKeyCache.set(id, key);
    }
    return await crypto.subtle.verify('Ed25519', key, asBuffer(signature), asBuffer(message));
  } catch {
    return false;
  }
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
export function parseEd25519PublicKeyPem(pem: string | Uint8Array): { publicKey: Uint8Array } {
  return { publicKey: checkLength(decodeSinglePem(pem, PEM_BANNER.ed25519Public), KEY_LENGTH, 'Ed25519 public key') };
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

async function importPkcs8(alg: 'Ed25519' | 'X25519', raw: Uint8Array, usages: KeyUsage[]): Promise<CryptoKey> {
  const prefix = alg === 'Ed25519' ? PKCS8_ED25519 : PKCS8_X25519;
  const der = new Uint8Array(prefix.length + raw.length);
  der.set(prefix);
  der.set(raw, prefix.length);
  return crypto.subtle.importKey('pkcs8', der, { name: alg }, true, usages);
}

async function publicFromJwk(privateKey: CryptoKey): Promise<Uint8Array> {
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  if (typeof jwk.x !== 'string') throw new VidsyncError('internal', 'WebCrypto JWK export lacks the public key');
  const b64 = jwk.x.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = base64ToBytes(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  if (!bytes) throw new VidsyncError('internal', 'WebCrypto JWK export has a malformed public key');
  return bytes;
}
