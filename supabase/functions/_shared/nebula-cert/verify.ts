// Verifying a certificate against trusted CAs at a given time, with nebula
// 1.6.1's checks in nebula's order: blocklist, issuer lookup, CA expiry,
// certificate expiry, signature, CA constraints. Style: resolves with the
// verified facts or rejects with a VidsyncError whose code names the first
// failed check (never a boolean + message).
import { VidsyncError } from '../errors.ts';
import { fingerprint, type NebulaCertificate, parseCertificate, parseCertificateBundlePem, parseCertificatePem } from './certificate.ts';
import { checkCaConstraints } from './constraints.ts';
import { ed25519Verify } from './keys.ts';
import { MAX_BLOCKLIST, MAX_CAS_IN_BUNDLE } from './limits.ts';

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

/**
 * Builds a pool: every certificate must be a CA (cert_not_ca) and carry a
 * valid self-signature (cert_signature_invalid), as nebula's AddCACertificate requires.
 */
export async function createCaPool(cas: string | readonly (string | NebulaCertificate)[]): Promise<CaPool> {
  const certs = typeof cas === 'string' ? parseCertificateBundlePem(cas) : cas.flatMap((c) => (typeof c === 'string' ? parseCertificateBundlePem(c) : [c]));
  if (certs.length > MAX_CAS_IN_BUNDLE) {
    throw new VidsyncError('input_too_large', `${certs.length} CAs, the limit is ${MAX_CAS_IN_BUNDLE}`);
  }
  const pool = new Map<string, NebulaCertificate>();
  for (const ca of certs) {
    if (!ca.details.isCA) throw new VidsyncError('cert_not_ca', `${ca.details.name}: certificate is not a CA`);
    if (!(await ed25519Verify(ca.details.publicKey, ca.detailsBytes, ca.signature))) {
      throw new VidsyncError('cert_signature_invalid', `${ca.details.name}: certificate is not self-signed`);
    }
    pool.set(await fingerprint(ca), ca);
  }
  return { cas: pool };
}

export async function verifyCertificate(cert: string | Uint8Array | NebulaCertificate, options: VerifyOptions): Promise<VerifiedCertificate> {
  const certificate = typeof cert === 'string' ? parseCertificatePem(cert) : cert instanceof Uint8Array ? parseCertificate(cert) : cert;
  const pool = isPool(options.cas) ? options.cas : await createCaPool(options.cas);
  const now = (options.now ?? new Date()).getTime();
  const fp = await fingerprint(certificate);

  if (options.blocklist && isBlocklisted(fp, options.blocklist)) {
    throw new VidsyncError('cert_blocklisted', 'certificate has been blocked', { details: { fingerprint: fp } });
  }
  const issuer = certificate.details.issuer;
  if (issuer === '') throw new VidsyncError('cert_issuer_unknown', 'no issuer in certificate');
  const ca = pool.cas.get(issuer);
  if (!ca) throw new VidsyncError('cert_issuer_unknown', 'could not find ca for the certificate', { details: { issuer } });
  if (ca.details.notBefore.getTime() > now || ca.details.notAfter.getTime() < now) {
    throw new VidsyncError('ca_expired', 'root certificate is expired');
  }
  if (certificate.details.notBefore.getTime() > now) throw new VidsyncError('cert_not_yet_valid', 'certificate is not valid yet');
  if (certificate.details.notAfter.getTime() < now) throw new VidsyncError('cert_expired', 'certificate is expired');
  if (!(await ed25519Verify(ca.details.publicKey, certificate.detailsBytes, certificate.signature))) {
    throw new VidsyncError('cert_signature_invalid', 'certificate signature did not match');
  }
  checkCaConstraints(certificate.details, ca.details);
  return { certificate, fingerprint: fp, ca, caFingerprint: issuer };
}

function isPool(cas: VerifyOptions['cas']): cas is CaPool {
  return typeof cas === 'object' && !Array.isArray(cas) && 'cas' in cas && cas.cas instanceof Map;
}

function isBlocklisted(fp: string, blocklist: Iterable<string>): boolean {
  if (blocklist instanceof Set) return blocklist.has(fp);
  let n = 0;
  for (const entry of blocklist) {
    if (entry === fp) return true;
    if (++n >= MAX_BLOCKLIST) throw new VidsyncError('input_too_large', `blocklist longer than ${MAX_BLOCKLIST}`);
  }
  return false;
}
