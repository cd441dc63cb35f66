// Verifying a certificate against trusted CAs at a given time, for either
// version, with nebula's checks written once and in nebula's order (1.6.1
// Verify, 1.10 ca_pool.go verify): blocklist, issuer lookup, CA expiry,
// certificate expiry, signature, CA constraints. Resolves with the verified
// facts or rejects with a VidsyncError whose code names the first failed
// check (never a boolean + message).
import { VidsyncError } from '../errors.ts';
import { type Accept, type Accepted, type Certificate, fingerprint, parseCertificate, parseCertificateBundlePem, parseCertificatePem } from './certificate.ts';
import { checkCaConstraints } from './constraints.ts';
import { ed25519Verify } from './keys.ts';
import { MAX_BLOCKLIST, MAX_CAS_IN_BUNDLE } from './limits.ts';
import { ecdsaP256Verify } from './v2/ecdsa.ts';

export interface CaPool<C extends Certificate = Certificate> {
  /** Trusted CAs by fingerprint (each version's own). Expired CAs are kept, as nebula keeps them, and fail verification. */
  readonly cas: ReadonlyMap<string, C>;
}

export interface VerifyOptions<A extends Accept = 1> {
  /** A PEM bundle, PEM strings or parsed certificates, or a pool from createCaPool. */
  cas: CaPool | string | readonly (string | Certificate)[];
  /** Which certificate versions to read from PEM and bytes: 1 (default), 2 or 'any'. */
  version?: A;
  /** Defaults to the current time. */
  now?: Date;
  /** Fingerprints (lowercase hex) that must be refused. */
  blocklist?: Iterable<string>;
}

export interface VerifiedCertificate<C extends Certificate = Certificate> {
  certificate: C;
  fingerprint: string;
  ca: Certificate;
  caFingerprint: string;
}

/** Whether `cert` carries a valid signature by `signerPublicKey`: Ed25519 on Curve25519, ECDSA on P256. Never throws. */
export function checkSignature(cert: Certificate, signerPublicKey: Uint8Array): Promise<boolean> {
  if (cert.version === 2 && cert.details.curve === 'P256') return ecdsaP256Verify(signerPublicKey, cert.signedBytes, cert.signature);
  return ed25519Verify(signerPublicKey, cert.signedBytes, cert.signature);
}

/**
 * Builds a pool: every certificate must be a CA (cert_not_ca) and carry a
 * valid self-signature (cert_signature_invalid), as nebula's AddCACertificate requires.
 */
export async function createCaPool<A extends Accept = 1>(
  cas: string | readonly (string | Certificate)[],
  options: { version?: A } = {},
): Promise<CaPool<Accepted<A>>> {
  const certs: Certificate[] = typeof cas === 'string'
    ? parseCertificateBundlePem(cas, options)
    : cas.flatMap((c) => (typeof c === 'string' ? parseCertificateBundlePem(c, options) : [c]));
  if (certs.length > MAX_CAS_IN_BUNDLE) throw new VidsyncError('input_too_large', `${certs.length} CAs, the limit is ${MAX_CAS_IN_BUNDLE}`);
  const pool = new Map<string, Accepted<A>>();
  for (const ca of certs) {
    if (!ca.details.isCA) throw new VidsyncError('cert_not_ca', `${ca.details.name}: certificate is not a CA`);
    if (!(await checkSignature(ca, ca.details.publicKey))) {
      throw new VidsyncError('cert_signature_invalid', `${ca.details.name}: certificate is not self-signed`);
    }
    pool.set(await fingerprint(ca), ca as Accepted<A>);
  }
  return { cas: pool };
}

export async function verifyCertificate<A extends Accept = 1>(
  cert: string | Uint8Array | Accepted<A>,
  options: VerifyOptions<A>,
): Promise<VerifiedCertificate<Accepted<A>>> {
  const read = { version: options.version };
  const certificate = typeof cert === 'string' ? parseCertificatePem(cert, read) : cert instanceof Uint8Array ? parseCertificate(cert, read) : cert;
  const cas = isPool(options.cas) ? options.cas.cas : (await createCaPool(options.cas, read)).cas;
  const now = (options.now ?? new Date()).getTime();
  const fp = await fingerprint(certificate);
  if (options.blocklist && isBlocklisted(fp, options.blocklist)) {
    throw new VidsyncError('cert_blocklisted', 'certificate has been blocked', { details: { fingerprint: fp } });
  }
  const issuer = certificate.details.issuer;
  if (issuer === '') throw new VidsyncError('cert_issuer_unknown', 'no issuer in certificate');
  const ca = cas.get(issuer);
  if (!ca) throw new VidsyncError('cert_issuer_unknown', 'could not find ca for the certificate', { details: { issuer } });
  if (ca.details.notBefore.getTime() > now || ca.details.notAfter.getTime() < now) {
    throw new VidsyncError('ca_expired', 'root certificate is expired');
  }
  if (certificate.details.notBefore.getTime() > now) throw new VidsyncError('cert_not_yet_valid', 'certificate is not valid yet');
  if (certificate.details.notAfter.getTime() < now) throw new VidsyncError('cert_expired', 'certificate is expired');
  if (!(await checkSignature(certificate, ca.details.publicKey))) {
    throw new VidsyncError('cert_signature_invalid', 'certificate signature did not match');
  }
  checkCaConstraints(certificate, ca);
  return { certificate, fingerprint: fp, ca, caFingerprint: issuer };
}

/** A pool object, as opposed to PEM text or a list of certificates. */
function isPool(cas: CaPool | string | readonly unknown[]): cas is CaPool {
  return typeof cas === 'object' && !Array.isArray(cas) && (cas as { cas?: unknown }).cas instanceof Map;
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
