// WebCrypto (fast path) and tweetnacl (fallback) must give identical bytes:
// Ed25519 signatures are deterministic and X25519 public keys are a function
// of the private key.
import { describe, expect, it } from 'vitest';
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';
import {
  createEd25519Signer,
  cryptoBackends,
  ed25519KeyPairFromSeed,
  ed25519Verify,
  x25519PublicKeyFromPrivate,
} from '../../supabase/functions/_shared/nebula-cert/index.ts';
// The two implementations themselves, to compare them on this runtime (deno/crypto-fallback.ts does the same under Deno).
import { type Backend, type Ed25519, pick, probeEd25519, probeX25519, tweetnacl, webcrypto, type X25519 } from '../../supabase/functions/_shared/nebula-cert/crypto.ts';

const BACKENDS = { webcrypto, tweetnacl } as const;

const seedOf = (i: number) => Uint8Array.from({ length: 32 }, (_, j) => (i * 31 + j * 7) & 255);

describe('crypto backends', () => {
  it('Node 20 has WebCrypto Ed25519 and X25519, so each capability picks it', async () => {
    expect(await cryptoBackends()).toEqual({ ed25519: 'webcrypto', x25519: 'webcrypto' });
  });

  it('each capability falls back on its own when WebCrypto lacks it (as detection sees a runtime without it)', async () => {
    const unsupported = () => Promise.reject(new DOMException('Unrecognized algorithm name', 'NotSupportedError'));
    const noEd25519: Ed25519 = { ...webcrypto.ed25519, signerFor: unsupported, publicKeyFromSeed: unsupported };
    const noX25519: X25519 = { ...webcrypto.x25519, publicKeyFromPrivate: unsupported };
    expect((await pick(noEd25519, tweetnacl.ed25519, probeEd25519)).backend).toBe('tweetnacl');
    expect((await pick(webcrypto.x25519, tweetnacl.x25519, probeX25519)).backend).toBe('webcrypto');
    expect((await pick(noX25519, tweetnacl.x25519, probeX25519)).backend).toBe('tweetnacl');
    expect((await pick(webcrypto.ed25519, tweetnacl.ed25519, probeEd25519)).backend).toBe('webcrypto');
  });

  it('Ed25519 keys and signatures are identical on both backends', async () => {
    for (let i = 0; i < 20; i++) {
      const message = Uint8Array.from({ length: i * 13 }, (_, j) => (i + j) & 255);
      const results = [];
      for (const backend of ['webcrypto', 'tweetnacl'] as const) {
        const impl = BACKENDS[backend].ed25519;
        const publicKey = await impl.publicKeyFromSeed(seedOf(i));
        const privateKey = new Uint8Array([...seedOf(i), ...publicKey]);
        const signature = await (await createEd25519Signer(privateKey, { backend })).sign(message);
        results.push({ publicKey, signature, verified: await impl.verify(publicKey, message, signature), public: await ed25519Verify(publicKey, message, signature) });
      }
      expect(results[0]).toEqual(results[1]);
      expect(results[0]!.verified).toBe(true);
      expect(results[0]!.public).toBe(true);
      expect((await ed25519KeyPairFromSeed(seedOf(i))).publicKey).toEqual(results[0]!.publicKey);
    }
  });

  it('RFC 8032 test 1: empty message', async () => {
    const seed = Uint8Array.from(Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'));
    for (const backend of ['webcrypto', 'tweetnacl'] as const) {
      const sig = await (await createEd25519Signer((await ed25519KeyPairFromSeed(seed)).privateKey, { backend })).sign(new Uint8Array(0));
      expect(Buffer.from(sig).toString('hex')).toBe(
        'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
      );
    }
  });

  it('X25519 public keys are identical on both backends (RFC 7748 vector included)', async () => {
    const alice = Uint8Array.from(Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex'));
    for (const backend of ['webcrypto', 'tweetnacl'] as const) {
      const pub = await BACKENDS[backend].x25519.publicKeyFromPrivate(alice);
      expect(Buffer.from(pub).toString('hex')).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    }
    for (let i = 0; i < 20; i++) {
      const a = await webcrypto.x25519.publicKeyFromPrivate(seedOf(i));
      const b = await tweetnacl.x25519.publicKeyFromPrivate(seedOf(i));
      expect(a).toEqual(b);
      expect(await x25519PublicKeyFromPrivate(seedOf(i))).toEqual(a);
    }
  });

  it('a private key whose public half does not match its seed is ca_key_mismatch', async () => {
    const pair = await ed25519KeyPairFromSeed(seedOf(1));
    const bad = pair.privateKey.slice();
    bad[40]! ^= 1;
    for (const backend of ['webcrypto', 'tweetnacl'] as const) {
      const err = await createEd25519Signer(bad, { backend }).catch((e: unknown) => e);
      expect(isVidsyncError(err, 'ca_key_mismatch')).toBe(true);
    }
  });

  it('verification returns false, never throws, for bad keys and signatures', async () => {
    expect(await ed25519Verify(new Uint8Array(31), new Uint8Array(1), new Uint8Array(64))).toBe(false);
    expect(await ed25519Verify(new Uint8Array(32), new Uint8Array(1), new Uint8Array(63))).toBe(false);
    expect(await ed25519Verify(new Uint8Array(32).fill(255), new Uint8Array(1), new Uint8Array(64))).toBe(false);
    for (const backend of Object.keys(BACKENDS) as Backend[]) {
      expect(await BACKENDS[backend].ed25519.verify(new Uint8Array(32).fill(255), new Uint8Array(1), new Uint8Array(64))).toBe(false);
    }
  });
});
