// Making certificates: a self-signed CA, and host certificates signed by a CA
// after its constraints are checked (nebula-cert sign refuses the same
// things). Two steps, as in nebula: build the details, then `signCertificate`
// with any Ed25519Signer, so a caller may keep the CA key elsewhere.
import { VidsyncError } from '../errors.ts';
import { bytesEqual } from './bytes.ts';
import {
  assembleCertificate,
  certificateToPem,
  fingerprint,
  marshalDetails,
  type NebulaCertificate,
  type NebulaCertificateDetails,
  parseCertificatePem,
} from './certificate.ts';
import { type Cidr, cidrFrom, networkOf } from './cidr.ts';
import { checkCaConstraints } from './constraints.ts';
import {
  createEd25519Signer,
  type Ed25519Signer,
  ed25519PrivateKeyToPem,
  generateEd25519KeyPair,
  type KeyPair,
  parseEd25519PrivateKeyPem,
  parseX25519PublicKeyPem,
} from './keys.ts';

/** nebula-cert ca's default lifetime: 8760h. */
export const DEFAULT_CA_DURATION_SECONDS = 8760 * 3600;

export interface CertificateAuthorityOptions {
  name: string;
  /** Defaults to `now`. */
  notBefore?: Date;
  /** Defaults to notBefore + durationSeconds. */
  notAfter?: Date;
  /** Defaults to DEFAULT_CA_DURATION_SECONDS. */
  durationSeconds?: number;
  /** Limits the IPs of certificates this CA signs ("10.99.0.0/16"). */
  ips?: readonly (string | Cidr)[];
  /** Limits the unsafe subnets of certificates this CA signs. */
  subnets?: readonly (string | Cidr)[];
  /** Limits the groups of certificates this CA signs. */
  groups?: readonly string[];
  now?: Date;
  /** Use this key instead of a fresh one (nebula layout: 64 bytes). */
  keyPair?: KeyPair;
}

export interface CreatedCertificateAuthority {
  certificate: NebulaCertificate;
  certificatePem: string;
  /** 64 bytes: seed || public key. */
  privateKey: Uint8Array;
  privateKeyPem: string;
  publicKey: Uint8Array;
  fingerprint: string;
  details: NebulaCertificateDetails;
}

export interface HostCertificateOptions {
  ca: {
    /** PEM or parsed CA certificate. */
    certificate: string | NebulaCertificate;
    /** The CA's Ed25519 private key: nebula PEM or 64 raw bytes. Or give `signer`. */
    privateKey?: string | Uint8Array;
    signer?: Ed25519Signer;
  };
  /** The device's X25519 public key: 32 bytes or nebula PEM. */
  publicKey: Uint8Array | string;
  name: string;
  /** Overlay address with the network's prefix: "10.99.1.5/24". */
  ip: string | Cidr;
  groups?: readonly string[];
  subnets?: readonly (string | Cidr)[];
  /** Defaults to `now`. */
  notBefore?: Date;
  /** Defaults to notBefore + durationSeconds, or one second before the CA expires (nebula-cert's default). */
  notAfter?: Date;
  durationSeconds?: number;
  now?: Date;
}

export interface SignedCertificate {
  certificate: NebulaCertificate;
  pem: string;
  fingerprint: string;
  details: NebulaCertificateDetails;
}

/** Signs finished details; returns the assembled certificate. */
export async function signCertificate(details: NebulaCertificateDetails, signer: Ed25519Signer): Promise<NebulaCertificate> {
  const detailsBytes = marshalDetails(details);
  const signature = await signer.sign(detailsBytes);
  return assembleCertificate(details, detailsBytes, signature);
}

export async function createCertificateAuthority(options: CertificateAuthorityOptions): Promise<CreatedCertificateAuthority> {
  requireName(options.name);
  const notBefore = wholeSeconds(options.notBefore ?? options.now ?? new Date());
  const notAfter = wholeSeconds(options.notAfter ?? addSeconds(notBefore, durationOf(options.durationSeconds, DEFAULT_CA_DURATION_SECONDS)));
  requireWindow(notBefore, notAfter);
  const keyPair = options.keyPair ?? (await generateEd25519KeyPair());
  const signer = await createEd25519Signer(keyPair.privateKey);
  const details: NebulaCertificateDetails = {
    name: options.name,
    // nebula-cert ca keeps the address as given for -ips and masks -subnets.
    ips: (options.ips ?? []).map(cidrFrom),
    subnets: (options.subnets ?? []).map((s) => networkOf(cidrFrom(s))),
    groups: cleanGroups(options.groups),
    notBefore,
    notAfter,
    publicKey: signer.publicKey,
    isCA: true,
    issuer: '',
  };
  const certificate = await signCertificate(details, signer);
  return {
    certificate,
    certificatePem: certificateToPem(certificate),
    privateKey: keyPair.privateKey,
    privateKeyPem: ed25519PrivateKeyToPem(keyPair.privateKey),
    publicKey: signer.publicKey,
    fingerprint: await fingerprint(certificate),
    details,
  };
}

const signerCache = new WeakMap<Uint8Array, Promise<Ed25519Signer>>();

export async function signHostCertificate(options: HostCertificateOptions): Promise<SignedCertificate> {
  const now = options.now ?? new Date();
  const ca = typeof options.ca.certificate === 'string' ? parseCertificatePem(options.ca.certificate) : options.ca.certificate;
  if (!ca.details.isCA) throw new VidsyncError('cert_not_ca', `the signing certificate "${ca.details.name}" is not a CA`);
  const signer = await signerFor(options.ca);
  if (!bytesEqual(signer.publicKey, ca.details.publicKey)) {
    throw new VidsyncError('ca_key_mismatch', 'refusing to sign, root certificate does not match private key');
  }
  if (ca.details.notBefore.getTime() > now.getTime() || ca.details.notAfter.getTime() < now.getTime()) {
    throw new VidsyncError('ca_expired', 'ca certificate is expired');
  }
  requireName(options.name);
  const publicKey = typeof options.publicKey === 'string' ? parseX25519PublicKeyPem(options.publicKey).publicKey : options.publicKey;

  const notBefore = wholeSeconds(options.notBefore ?? now);
  const notAfter = wholeSeconds(
    options.notAfter ??
      (options.durationSeconds !== undefined
        ? addSeconds(notBefore, durationOf(options.durationSeconds, 0))
        : addSeconds(ca.details.notAfter, -1)),
  );
  requireWindow(notBefore, notAfter);
  const details: NebulaCertificateDetails = {
    name: options.name,
    ips: [cidrFrom(options.ip)],
    subnets: (options.subnets ?? []).map((s) => networkOf(cidrFrom(s))),
    groups: cleanGroups(options.groups),
    notBefore,
    notAfter,
    publicKey,
    isCA: false,
    issuer: await caFingerprint(ca),
  };
  checkCaConstraints(details, ca.details);
  const certificate = await signCertificate(details, signer);
  return { certificate, pem: certificateToPem(certificate), fingerprint: await fingerprint(certificate), details };
}

const caFingerprints = new WeakMap<NebulaCertificate, Promise<string>>();

/** A CA signs many certificates in a row; hash it once per parsed CA object. */
function caFingerprint(ca: NebulaCertificate): Promise<string> {
  let fp = caFingerprints.get(ca);
  if (!fp) {
    fp = fingerprint(ca);
    caFingerprints.set(ca, fp);
  }
  return fp;
}

function signerFor(ca: HostCertificateOptions['ca']): Promise<Ed25519Signer> {
  if (ca.signer) return Promise.resolve(ca.signer);
  if (ca.privateKey === undefined) throw new VidsyncError('validation_failed', 'a CA private key or signer is required');
  if (typeof ca.privateKey === 'string') return createEd25519Signer(parseEd25519PrivateKeyPem(ca.privateKey).privateKey);
  // Importing a key costs as much as a signature: reuse it while the caller keeps the same bytes.
  let signer = signerCache.get(ca.privateKey);
  if (!signer) {
    signer = createEd25519Signer(ca.privateKey);
    signerCache.set(ca.privateKey, signer);
    signer.catch(() => signerCache.delete(ca.privateKey as Uint8Array));
  }
  return signer;
}

function requireName(name: string): void {
  if (typeof name !== 'string' || name === '') throw new VidsyncError('validation_failed', 'name is required');
}

function requireWindow(notBefore: Date, notAfter: Date): void {
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw new VidsyncError('validation_failed', 'notAfter must be later than notBefore');
  }
}

/** nebula-cert trims groups and drops empty ones. */
function cleanGroups(groups: readonly string[] | undefined): string[] {
  return (groups ?? []).map((g) => g.trim()).filter((g) => g !== '');
}

function durationOf(seconds: number | undefined, fallback: number): number {
  const d = seconds ?? fallback;
  if (!Number.isFinite(d) || d <= 0) throw new VidsyncError('validation_failed', 'duration must be greater than 0');
  return d;
}

function addSeconds(d: Date, seconds: number): Date {
  return new Date(d.getTime() + seconds * 1000);
}

function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}
