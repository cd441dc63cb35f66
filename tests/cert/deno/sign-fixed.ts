// Run under Deno by deno.test.ts: signs a fixed certificate with a fixed CA
// seed and prints the PEMs, so Node can check that both runtimes produce the
// same bytes from the same shared module.
import {
  createCertificateAuthority,
  createCertificateAuthorityV2,
  cryptoBackend,
  ed25519KeyPairFromSeed,
  signHostCertificate,
  signHostCertificateV2,
} from '../../../supabase/functions/_shared/nebula-cert/index.ts';

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
  const caV2 = await createCertificateAuthorityV2({ name: 'fixed CA v2', keyPair, notBefore, durationSeconds: 3600 * 24, networks: ['10.9.0.0/16', 'fd00:9::/48'] });
  const hostV2 = await signHostCertificateV2({
    ca: { certificate: caV2.certificatePem, privateKey: caV2.privateKeyPem },
    publicKey: new Uint8Array(32).fill(7),
    name: 'fixed host v2',
    networks: ['10.9.8.7/16', 'fd00:9::8:7/64'],
    now: new Date('2030-01-01T01:00:00Z'),
  });
  return {
    backend: await cryptoBackend(),
    caPem: ca.certificatePem,
    hostPem: host.pem,
    fingerprint: host.fingerprint,
    caV2Pem: caV2.certificatePem,
    hostV2Pem: hostV2.pem,
    fingerprintV2: hostV2.fingerprint,
  };
}

if (import.meta.main) console.log(JSON.stringify(await signFixed()));

declare global {
  interface ImportMeta {
    /** Deno: true when this module is the program's entry point. */
    main?: boolean;
  }
}
