// nebula's verification written once for both certificate versions: which
// certificates a CA pool admits, and the order of checks (blocklist, issuer
// lookup, CA expiry, certificate expiry, signature, CA constraints). Each
// version supplies how it fingerprints, checks a signature and checks a CA's
// constraints. Internal: verify.ts (v1) and verify-any.ts use it.
import { VidsyncError } from '../errors.ts';
import { MAX_BLOCKLIST, MAX_CAS_IN_BUNDLE } from './limits.ts';

export interface Verifiable {
  readonly details: {
    readonly name: string;
    readonly isCA: boolean;
    readonly issuer: string;
    readonly notBefore: Date;
    readonly notAfter: Date;
    readonly publicKey: Uint8Array;
  };
}

export interface VersionRules<C extends Verifiable> {
  fingerprint(cert: C): Promise<string>;
  /** Whether `cert` carries a valid signature by `signerPublicKey`; never throws for a bad one. */
  checkSignature(cert: C, signerPublicKey: Uint8Array): Promise<boolean>;
  /** Throws the ca_constraint_* code of the first constraint `cert` breaks. */
  checkConstraints(cert: C, ca: C): void;
}

export interface Verified<C> {
  certificate: C;
  fingerprint: string;
  ca: C;
  caFingerprint: string;
}

/** Every certificate must be a CA (cert_not_ca) with a valid self-signature (cert_signature_invalid), as nebula's AddCACertificate requires. */
export async function admitCas<C extends Verifiable>(certs: readonly C[], rules: VersionRules<C>): Promise<Map<string, C>> {
  if (certs.length > MAX_CAS_IN_BUNDLE) throw new VidsyncError('input_too_large', `${certs.length} CAs, the limit is ${MAX_CAS_IN_BUNDLE}`);
  const pool = new Map<string, C>();
  for (const ca of certs) {
    if (!ca.details.isCA) throw new VidsyncError('cert_not_ca', `${ca.details.name}: certificate is not a CA`);
    if (!(await rules.checkSignature(ca, ca.details.publicKey))) {
      throw new VidsyncError('cert_signature_invalid', `${ca.details.name}: certificate is not self-signed`);
    }
    pool.set(await rules.fingerprint(ca), ca);
  }
  return pool;
}

export async function verifyAgainst<C extends Verifiable>(
  certificate: C,
  cas: ReadonlyMap<string, C>,
  options: { now?: Date; blocklist?: Iterable<string> },
  rules: VersionRules<C>,
): Promise<Verified<C>> {
  const now = (options.now ?? new Date()).getTime();
  const fp = await rules.fingerprint(certificate);
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
  if (!(await rules.checkSignature(certificate, ca.details.publicKey))) {
    throw new VidsyncError('cert_signature_invalid', 'certificate signature did not match');
  }
  rules.checkConstraints(certificate, ca);
  return { certificate, fingerprint: fp, ca, caFingerprint: issuer };
}

/** A pool object, as opposed to PEM text or a list of certificates. */
export function isPool<P extends { readonly cas: ReadonlyMap<string, unknown> }>(cas: P | string | readonly unknown[]): cas is P {
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
