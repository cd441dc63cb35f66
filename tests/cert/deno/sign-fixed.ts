// Run under Deno by deno.test.ts: signs a fixed certificate with a fixed CA
// seed and prints the PEMs, so Node can check that both runtimes produce the
// same bytes from the same shared module.
import { createCertificateAuthority, cryptoBackend, ed25519KeyPairFromSeed, signHostCertificate } from '../../../supabase/functions/_shared/nebula-cert/index.ts';

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
  return { backend: await cryptoBackend(), caPem: ca.certificatePem, hostPem: host.pem, fingerprint: host.fingerprint };
}

if (import.meta.main) console.log(JSON.stringify(await signFixed()));

declare global {
  interface ImportMeta {
    /** Deno: true when this module is the program's entry point. */
    main?: boolean;
  }
}
