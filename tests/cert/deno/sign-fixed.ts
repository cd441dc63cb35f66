// Run under Deno by deno.test.ts: signs fixed certificates (v1 and v2) with a
// fixed CA seed, and runs each crypto capability on both implementations,
// printing the results, so Node can check that both runtimes produce the same
// bytes from the same shared module and that the fallback agrees on Deno too.
import { toHex } from '../../../supabase/functions/_shared/bytes.ts';
import {
  createCertificateAuthority,
  createEd25519Signer,
  cryptoBackends,
  ed25519KeyPairFromSeed,
  signHostCertificate,
} from '../../../supabase/functions/_shared/nebula-cert/index.ts';
import { pick, probeEd25519, probeX25519, tweetnacl, webcrypto } from '../../../supabase/functions/_shared/nebula-cert/crypto.ts';

export async function signFixed() {
  const keyPair = await ed25519KeyPairFromSeed(new Uint8Array(32).fill(42));
  const notBefore = new Date('2030-01-01T00:00:00Z');
  const ca = await createCertificateAuthority({ name: 'fixed CA', keyPair, notBefore, durationSeconds: 3600 * 24, ips: ['10.9.0.0/16'], groups: ['g'] });
  const host = await signHostCertificate({
    ca: { certificate: ca.certificatePem, privateKey: ca.privateKeyPem },
    publicKey: new Uint8Array(32).fill(7),
    name: 'fixed host',
    ip: '10.9.8.7/16',
    groups: ['g'],
    now: new Date('2030-01-01T01:00:00Z'),
  });
  // Format v2 (DER), dual stack: the same inputs must give the same bytes too.
  const caV2 = await createCertificateAuthority({ version: 2, name: 'fixed CA v2', keyPair, notBefore, durationSeconds: 3600 * 24, networks: ['10.9.0.0/16', 'fd00:9::/48'] });
  const hostV2 = await signHostCertificate({
    version: 2,
    ca: { certificate: caV2.certificatePem, privateKey: caV2.privateKeyPem },
    publicKey: new Uint8Array(32).fill(7),
    name: 'fixed host v2',
    networks: ['10.9.8.7/16', 'fd00:9::8:7/64'],
    now: new Date('2030-01-01T01:00:00Z'),
  });
  return {
    backends: await cryptoBackends(),
    caPem: ca.certificatePem,
    hostPem: host.pem,
    fingerprint: host.fingerprint,
    caV2Pem: caV2.certificatePem,
    hostV2Pem: hostV2.pem,
    fingerprintV2: hostV2.fingerprint,
    implementations: await eachImplementation(keyPair.privateKey),
    // What detection picks on this runtime when WebCrypto lacks a capability, one capability at a time.
    withoutWebCrypto: await withoutWebCrypto(),
  };
}

/** Each capability on each implementation, for the same inputs: the fallback must agree with WebCrypto wherever it runs. */
async function eachImplementation(caPrivateKey: Uint8Array) {
  const message = new TextEncoder().encode('fixed message');
  const hostPrivate = new Uint8Array(32).fill(9);
  const out: Record<string, { ed25519Public: string; signature: string; verified: boolean; x25519Public: string }> = {};
  for (const impl of [webcrypto, tweetnacl]) {
    const signer = await createEd25519Signer(caPrivateKey, { backend: impl.ed25519.backend });
    const signature = await signer.sign(message);
    out[impl.ed25519.backend] = {
      ed25519Public: toHex(await impl.ed25519.publicKeyFromSeed(caPrivateKey.slice(0, 32))),
      signature: toHex(signature),
      verified: await impl.ed25519.verify(signer.publicKey, message, signature),
      x25519Public: toHex(await impl.x25519.publicKeyFromPrivate(hostPrivate)),
    };
  }
  return out;
}

async function withoutWebCrypto() {
  const unsupported = () => Promise.reject(new DOMException('Unrecognized algorithm name', 'NotSupportedError'));
  return {
    ed25519: (await pick({ ...webcrypto.ed25519, signerFor: unsupported, publicKeyFromSeed: unsupported }, tweetnacl.ed25519, probeEd25519)).backend,
    x25519: (await pick({ ...webcrypto.x25519, publicKeyFromPrivate: unsupported }, tweetnacl.x25519, probeX25519)).backend,
  };
}

if (import.meta.main) console.log(JSON.stringify(await signFixed()));

declare global {
  interface ImportMeta {
    /** Deno: true when this module is the program's entry point. */
    main?: boolean;
  }
}
