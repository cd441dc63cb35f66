// Verifying a certificate against trusted CAs at a given time, with nebula
// 1.6.1's checks in nebula's order: blocklist, issuer lookup, CA expiry,
// certificate expiry, signature, CA constraints. Style: resolves with the
// verified facts or rejects with a VidsyncError whose code names the first
// failed check (never a boolean + message).
import { fingerprint, type NebulaCertificate, parseCertificate, parseCertificateBundlePem, parseCertificatePem } from './certificate.ts';
import { checkCaConstraints } from './constraints.ts';
import { ed25519Verify } from './keys.ts';
import { admitCas, isPool, verifyAgainst, type VersionRules } from './verify-steps.ts';

export interface CaPool {
  /** Trusted CAs by fingerprint. Expired CAs are kept, as nebula keeps them, and fail verification. */
  readonly cas: ReadonlyMap<string, NebulaCertificate>;
}

export interface VerifyOptions {
  /** A PEM bundle, PEM strings or parsed certificates, or a pool from createCaPool. */
  cas: CaPool | string | readonly (string | NebulaCertificate)[];
  /** Defaults to the current time. */
  now?: Date;
  /** Fingerprints (lowercase hex) that must be refused. */
  blocklist?: Iterable<string>;
}

export interface VerifiedCertificate {
  certificate: NebulaCertificate;
  fingerprint: string;
  ca: NebulaCertificate;
  caFingerprint: string;
}

const V1_RULES: VersionRules<NebulaCertificate> = {
  fingerprint: (cert) => fingerprint(cert),
  checkSignature: (cert, signerPublicKey) => ed25519Verify(signerPublicKey, cert.detailsBytes, cert.signature),
  checkConstraints: (cert, ca) => checkCaConstraints(cert.details, ca.details),
};

/**
 * Builds a pool: every certificate must be a CA (cert_not_ca) and carry a
 * valid self-signature (cert_signature_invalid), as nebula's AddCACertificate requires.
 */
export async function createCaPool(cas: string | readonly (string | NebulaCertificate)[]): Promise<CaPool> {
  const certs = typeof cas === 'string' ? parseCertificateBundlePem(cas) : cas.flatMap((c) => (typeof c === 'string' ? parseCertificateBundlePem(c) : [c]));
  return { cas: await admitCas(certs, V1_RULES) };
}

export async function verifyCertificate(cert: string | Uint8Array | NebulaCertificate, options: VerifyOptions): Promise<VerifiedCertificate> {
  const certificate = typeof cert === 'string' ? parseCertificatePem(cert) : cert instanceof Uint8Array ? parseCertificate(cert) : cert;
  const pool = isPool(options.cas) ? options.cas : await createCaPool(options.cas);
  return verifyAgainst(certificate, pool.cas, options, V1_RULES);
}
