// The two Curve25519 capabilities certificates need, each with two
// implementations: WebCrypto (the main path: Deno, Node >= 20, browsers) and
// tweetnacl (the portable fallback). Each capability is detected on its own,
// once per process: a runtime may have WebCrypto Ed25519 but not X25519. Both
// implementations give identical bytes (Ed25519 is deterministic; an X25519
// public key is a function of the private key), which the tests check on Node
// and Deno. Callers outside this module use keys.ts.
import nacl from 'tweetnacl';
import { asBuffer, hex, toHex } from '../bytes.ts';
import { base64ToBytes } from '../base64.ts';
import { VidsyncError } from '../errors.ts';

export type Backend = 'webcrypto' | 'tweetnacl';

/** Ed25519 on raw keys: a 32-byte seed, a 32-byte public key, 64-byte signatures. Lengths are checked by the caller. */
export interface Ed25519 {
  readonly backend: Backend;
  publicKeyFromSeed(seed: Uint8Array): Promise<Uint8Array>;
  /** Imports the seed once and returns a signing function. */
  signerFor(seed: Uint8Array): Promise<(message: Uint8Array) => Promise<Uint8Array>>;
  /** False, never an exception, for a bad key or signature. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

/** X25519: a host's public key from its 32-byte private scalar. */
export interface X25519 {
  readonly backend: Backend;
  publicKeyFromPrivate(privateKey: Uint8Array): Promise<Uint8Array>;
}

// PKCS#8 wrappers of a raw 32-byte key (RFC 8410): fixed 16-byte prefixes.
const PKCS8_PREFIX = { Ed25519: hex('302e020100300506032b657004220420'), X25519: hex('302e020100300506032b656e04220420') };
const VERIFY_KEY_CACHE_SIZE = 64;
const verifyKeys = new Map<string, CryptoKey>();

export const webcrypto: { readonly ed25519: Ed25519; readonly x25519: X25519 } = {
  ed25519: {
    backend: 'webcrypto',
    publicKeyFromSeed: async (seed) => publicFromJwk(await importPkcs8('Ed25519', seed, ['sign'])),
    async signerFor(seed) {
      const key = await importPkcs8('Ed25519', seed, ['sign']);
      return async (message) => new Uint8Array(await crypto.subtle.sign('Ed25519', key, asBuffer(message)));
    },
    async verify(publicKey, message, signature) {
      try {
        const id = toHex(publicKey);
        let key = verifyKeys.get(id);
        if (!key) {
          key = await crypto.subtle.importKey('raw', asBuffer(publicKey), 'Ed25519', false, ['verify']);
          if (verifyKeys.size >= VERIFY_KEY_CACHE_SIZE) verifyKeys.clear();
          verifyKeys.set(id, key);
        }
        return await crypto.subtle.verify('Ed25519', key, asBuffer(signature), asBuffer(message));
      } catch {
        return false;
      }
    },
  },
  x25519: {
    backend: 'webcrypto',
    publicKeyFromPrivate: async (privateKey) => publicFromJwk(await importPkcs8('X25519', privateKey, ['deriveBits'])),
  },
};

export const tweetnacl: { readonly ed25519: Ed25519; readonly x25519: X25519 } = {
  ed25519: {
    backend: 'tweetnacl',
    publicKeyFromSeed: async (seed) => nacl.sign.keyPair.fromSeed(seed).publicKey,
    async signerFor(seed) {
      const secretKey = nacl.sign.keyPair.fromSeed(seed).secretKey;
      return async (message) => nacl.sign.detached(message, secretKey);
    },
    verify: async (publicKey, message, signature) => nacl.sign.detached.verify(message, signature, publicKey),
  },
  x25519: {
    backend: 'tweetnacl',
    publicKeyFromPrivate: async (privateKey) => nacl.scalarMult.base(privateKey),
  },
};

let ed25519Choice: Promise<Ed25519> | undefined;
let x25519Choice: Promise<X25519> | undefined;

/** WebCrypto's Ed25519 when this runtime can import, sign and export with it; tweetnacl otherwise. */
export function ed25519(): Promise<Ed25519> {
  ed25519Choice ??= pick(webcrypto.ed25519, tweetnacl.ed25519, probeEd25519);
  return ed25519Choice;
}

/** WebCrypto's X25519 when this runtime can import and export an X25519 key; tweetnacl otherwise. */
export function x25519(): Promise<X25519> {
  x25519Choice ??= pick(webcrypto.x25519, tweetnacl.x25519, probeX25519);
  return x25519Choice;
}

/** `preferred` if the probe runs on it without an error, else `fallback`. */
export async function pick<T>(preferred: T, fallback: T, probe: (impl: T) => Promise<unknown>): Promise<T> {
  try {
    await probe(preferred);
    return preferred;
  } catch {
    return fallback;
  }
}

/** Exercises what keys.ts uses: import a seed, sign, derive the public key. */
export async function probeEd25519(impl: Ed25519): Promise<void> {
  const seed = new Uint8Array(32);
  await (await impl.signerFor(seed))(new Uint8Array(0));
  await impl.publicKeyFromSeed(seed);
}

export async function probeX25519(impl: X25519): Promise<void> {
  await impl.publicKeyFromPrivate(new Uint8Array(32).fill(1));
}

/** Which implementation each capability uses in this runtime. */
export async function cryptoBackends(): Promise<{ ed25519: Backend; x25519: Backend }> {
  return { ed25519: (await ed25519()).backend, x25519: (await x25519()).backend };
}

async function importPkcs8(alg: 'Ed25519' | 'X25519', raw: Uint8Array, usages: KeyUsage[]): Promise<CryptoKey> {
  const prefix = PKCS8_PREFIX[alg];
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
