// Verifying a certificate of either version against a pool that may mix v1
// and v2 CAs, with nebula 1.10's checks in nebula's order (ca_pool.go verify):
// blocklist, issuer lookup, CA expiry, certificate expiry, signature, CA
// constraints. Resolves with the verified facts or rejects with the code of
// the first failed check, like verifyCertificate (v1) does.
import { VidsyncError } from '../errors.ts';
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
import { MAX_BLOCKLIST, MAX_CAS_IN_BUNDLE } from './limits.ts';
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

/** Every certificate must be a CA (cert_not_ca) with a valid self-signature (cert_signature_invalid). */
export async function createAnyCaPool(cas: string | readonly (string | AnyNebulaCertificate)[]): Promise<AnyCaPool> {
  const certs = typeof cas === 'string' ? parseAnyCertificateBundlePem(cas) : cas.flatMap((c) => (typeof c === 'string' ? parseAnyCertificateBundlePem(c) : [c]));
  if (certs.length > MAX_CAS_IN_BUNDLE) throw new VidsyncError('input_too_large', `${certs.length} CAs, the limit is ${MAX_CAS_IN_BUNDLE}`);
  const pool = new Map<string, AnyNebulaCertificate>();
  for (const ca of certs) {
    if (!ca.details.isCA) throw new VidsyncError('cert_not_ca', `${ca.details.name}: certificate is not a CA`);
    if (!(await checkSignatureAny(ca, ca.details.publicKey))) {
      throw new VidsyncError('cert_signature_invalid', `${ca.details.name}: certificate is not self-signed`);
    }
    pool.set(await fingerprintAny(ca), ca);
  }
  return { cas: pool };
}

export async function verifyAnyCertificate(cert: string | Uint8Array | AnyNebulaCertificate, options: AnyVerifyOptions): Promise<VerifiedAnyCertificate> {
  const certificate = typeof cert === 'string' ? parseAnyCertificatePem(cert) : cert instanceof Uint8Array ? parseAnyCertificate(cert) : cert;
  const pool = isPool(options.cas) ? options.cas : await createAnyCaPool(options.cas);
  const now = (options.now ?? new Date()).getTime();
  const fp = await fingerprintAny(certificate);

  if (options.blocklist && isBlocklisted(fp, options.blocklist)) {
    throw new VidsyncError('cert_blocklisted', 'certificate has been blocked', { details: { fingerprint: fp } });
  }
  const issuer = certificate.details.issuer;
  if (issuer === '') throw new VidsyncError('cert_issuer_unknown', 'no issuer in certificate');
  const ca = pool.cas.get(issuer);
  if (!ca) throw new VidsyncError('cert_issuer_unknown', 'could not find ca for the certificate', { details: { issuer } });
  if (ca.details.notBefore.getTime() > now || ca.details.notAfter.getTime() < now) throw new VidsyncError('ca_expired', 'root certificate is expired');
  if (certificate.details.notBefore.getTime() > now) throw new VidsyncError('cert_not_yet_valid', 'certificate is not valid yet');
  if (certificate.details.notAfter.getTime() < now) throw new VidsyncError('cert_expired', 'certificate is expired');
  if (!(await checkSignatureAny(certificate, ca.details.publicKey))) {
    throw new VidsyncError('cert_signature_invalid', 'certificate signature did not match');
  }
  checkCaConstraintsAny(constrainedFactsOf(certificate), constrainedFactsOf(ca));
  return { certificate, fingerprint: fp, ca, caFingerprint: issuer };
}

function isPool(cas: AnyVerifyOptions['cas']): cas is AnyCaPool {
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
