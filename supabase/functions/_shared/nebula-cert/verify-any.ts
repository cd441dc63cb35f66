// Verifying a certificate of either version against a pool that may mix v1
// and v2 CAs, with nebula 1.10's checks in nebula's order (ca_pool.go verify):
// blocklist, issuer lookup, CA expiry, certificate expiry, signature, CA
// constraints. Resolves with the verified facts or rejects with the code of
// the first failed check, like verifyCertificate (v1) does.
import {
  type AnyNebulaCertificate,
  fingerprintAny,
  isCertificateV2,
  parseAnyCertificate,
  parseAnyCertificateBundlePem,
  parseAnyCertificatePem,
} from './any-version.ts';
import { checkCaConstraintsAny, constrainedFactsOf } from './constraints-v2.ts';
import { ed25519Verify } from './keys.ts';
import { admitCas, isPool, verifyAgainst, type VersionRules } from './verify-steps.ts';
import { checkSignatureV2 } from './signature-v2.ts';

export interface AnyCaPool {
  /** Trusted CAs of either version by fingerprint (each version's own fingerprint). */
  readonly cas: ReadonlyMap<string, AnyNebulaCertificate>;
}

export interface AnyVerifyOptions {
  /** A PEM bundle (v1 and v2 blocks may mix), PEM strings or parsed certificates, or a pool. */
  cas: AnyCaPool | string | readonly (string | AnyNebulaCertificate)[];
  now?: Date;
  blocklist?: Iterable<string>;
}

export interface VerifiedAnyCertificate {
  certificate: AnyNebulaCertificate;
  fingerprint: string;
  ca: AnyNebulaCertificate;
  caFingerprint: string;
}

/** Whether `cert` carries a valid signature by `signerPublicKey` (v1: Ed25519 over Details; v2: by curve). */
export function checkSignatureAny(cert: AnyNebulaCertificate, signerPublicKey: Uint8Array): Promise<boolean> {
  return isCertificateV2(cert) ? checkSignatureV2(cert, signerPublicKey) : ed25519Verify(signerPublicKey, cert.detailsBytes, cert.signature);
}

const ANY_RULES: VersionRules<AnyNebulaCertificate> = {
  fingerprint: (cert) => fingerprintAny(cert),
  checkSignature: (cert, signerPublicKey) => checkSignatureAny(cert, signerPublicKey),
  checkConstraints: (cert, ca) => checkCaConstraintsAny(constrainedFactsOf(cert), constrainedFactsOf(ca)),
};

/** Every certificate must be a CA (cert_not_ca) with a valid self-signature (cert_signature_invalid). */
export async function createAnyCaPool(cas: string | readonly (string | AnyNebulaCertificate)[]): Promise<AnyCaPool> {
  const certs = typeof cas === 'string' ? parseAnyCertificateBundlePem(cas) : cas.flatMap((c) => (typeof c === 'string' ? parseAnyCertificateBundlePem(c) : [c]));
  return { cas: await admitCas(certs, ANY_RULES) };
}

export async function verifyAnyCertificate(cert: string | Uint8Array | AnyNebulaCertificate, options: AnyVerifyOptions): Promise<VerifiedAnyCertificate> {
  const certificate = typeof cert === 'string' ? parseAnyCertificatePem(cert) : cert instanceof Uint8Array ? parseAnyCertificate(cert) : cert;
  const pool = isPool(options.cas) ? options.cas : await createAnyCaPool(options.cas);
  return verifyAgainst(certificate, pool.cas, options, ANY_RULES);
}
