// Making v2 certificates with an Ed25519 CA: the same two steps as v1 (build
// details, then signCertificateV2 with any Ed25519Signer) and the same
// conveniences (a self-signed CA; a host certificate checked against its CA's
// limits first). Signing P256 certificates is not supported: it needs an
// ECDSA signer, and our CAs are Ed25519.
import { VidsyncError } from '../errors.ts';
import { bytesEqual } from './bytes.ts';
import { assembleCertificateV2, certificateV2ToPem, fingerprintV2, marshalDetailsV2, type NebulaCertificateV2, type NebulaCertificateV2Details, parseCertificateV2Pem, signedBytesOf } from './cert-v2.ts';
import { CURVE_V2 } from './spec-v2.ts';
import { checkCaConstraintsAny, constrainedFactsOf } from './constraints-v2.ts';
import { type NetworkPrefix, prefixFrom, toNetworkPrefix } from './ip-prefix.ts';
import {
  createEd25519Signer,
  type Ed25519Signer,
  ed25519PrivateKeyToPem,
  generateEd25519KeyPair,
  type KeyPair,
  parseEd25519PrivateKeyPem,
  parseX25519PublicKeyPem,
} from './keys.ts';
import { DEFAULT_CA_DURATION_SECONDS } from './sign.ts';

export interface CertificateAuthorityV2Options {
  name: string;
  notBefore?: Date;
  notAfter?: Date;
  /** Defaults to DEFAULT_CA_DURATION_SECONDS (8760h, nebula-cert's default). */
  durationSeconds?: number;
  /** Limits the networks of certificates this CA signs ("10.99.0.0/16", "fd00:99::/48"). */
  networks?: readonly (string | NetworkPrefix)[];
  /** Limits the unsafe networks of certificates this CA signs. */
  unsafeNetworks?: readonly (string | NetworkPrefix)[];
  groups?: readonly string[];
  now?: Date;
  keyPair?: KeyPair;
}

export interface CreatedCertificateAuthorityV2 {
  certificate: NebulaCertificateV2;
  certificatePem: string;
  privateKey: Uint8Array;
  privateKeyPem: string;
  publicKey: Uint8Array;
  fingerprint: string;
  details: NebulaCertificateV2Details;
}

export interface HostCertificateV2Options {
  ca: {
    certificate: string | NebulaCertificateV2;
    privateKey?: string | Uint8Array;
    signer?: Ed25519Signer;
  };
  /** The device's X25519 public key: 32 bytes or nebula PEM. */
  publicKey: Uint8Array | string;
  name: string;
  /** One or more overlay addresses with their network's prefix: "10.99.1.5/24", "fd00:99::5/64". */
  networks: readonly (string | NetworkPrefix)[];
  unsafeNetworks?: readonly (string | NetworkPrefix)[];
  groups?: readonly string[];
  notBefore?: Date;
  /** Defaults to notBefore + durationSeconds, or one second before the CA expires (nebula-cert's default). */
  notAfter?: Date;
  durationSeconds?: number;
  now?: Date;
}

export interface SignedCertificateV2 {
  certificate: NebulaCertificateV2;
  pem: string;
  fingerprint: string;
  details: NebulaCertificateV2Details;
}

/** Checks and signs finished details (networks are sorted as nebula sorts them). Curve25519 only. */
export async function signCertificateV2(details: NebulaCertificateV2Details, signer: Ed25519Signer): Promise<NebulaCertificateV2> {
  if (details?.curve !== 'CURVE25519') {
    throw new VidsyncError('validation_failed', 'only CURVE25519 certificates can be signed here (the signer is Ed25519)');
  }
  const { details: checked, detailsBytes } = marshalDetailsV2(details);
  const signature = await signer.sign(signedBytesOf(detailsBytes, CURVE_V2.CURVE25519, checked.publicKey));
  return assembleCertificateV2(checked, detailsBytes, signature);
}

export async function createCertificateAuthorityV2(options: CertificateAuthorityV2Options): Promise<CreatedCertificateAuthorityV2> {
  const notBefore = wholeSeconds(options.notBefore ?? options.now ?? new Date());
  const notAfter = wholeSeconds(options.notAfter ?? addSeconds(notBefore, durationOf(options.durationSeconds, DEFAULT_CA_DURATION_SECONDS)));
  requireWindow(notBefore, notAfter);
  const keyPair = options.keyPair ?? (await generateEd25519KeyPair());
  const signer = await createEd25519Signer(keyPair.privateKey);
  const certificate = await signCertificateV2(
    {
      name: options.name,
      networks: (options.networks ?? []).map(normalise),
      unsafeNetworks: (options.unsafeNetworks ?? []).map(normalise),
      groups: cleanGroups(options.groups),
      notBefore,
      notAfter,
      isCA: true,
      issuer: '',
      curve: 'CURVE25519',
      publicKey: signer.publicKey,
    },
    signer,
  );
  return {
    certificate,
    certificatePem: certificateV2ToPem(certificate),
    privateKey: keyPair.privateKey,
    privateKeyPem: ed25519PrivateKeyToPem(keyPair.privateKey),
    publicKey: signer.publicKey,
    fingerprint: await fingerprintV2(certificate),
    details: certificate.details,
  };
}

export async function signHostCertificateV2(options: HostCertificateV2Options): Promise<SignedCertificateV2> {
  const now = options.now ?? new Date();
  const ca = typeof options.ca.certificate === 'string' ? parseCertificateV2Pem(options.ca.certificate) : options.ca.certificate;
  if (!ca.details.isCA) throw new VidsyncError('cert_not_ca', `the signing certificate "${ca.details.name}" is not a CA`);
  if (ca.details.curve !== 'CURVE25519') throw new VidsyncError('validation_failed', 'only Curve25519 CAs can sign here');
  const signer = await signerFor(options.ca);
  if (!bytesEqual(signer.publicKey, ca.details.publicKey)) {
    throw new VidsyncError('ca_key_mismatch', 'refusing to sign, root certificate does not match private key');
  }
  if (ca.details.notBefore.getTime() > now.getTime() || ca.details.notAfter.getTime() < now.getTime()) {
    throw new VidsyncError('ca_expired', 'ca certificate is expired');
  }
  const publicKey = typeof options.publicKey === 'string' ? parseX25519PublicKeyPem(options.publicKey).publicKey : options.publicKey;
  const notBefore = wholeSeconds(options.notBefore ?? now);
  const notAfter = wholeSeconds(
    options.notAfter ??
      (options.durationSeconds !== undefined ? addSeconds(notBefore, durationOf(options.durationSeconds, 0)) : addSeconds(ca.details.notAfter, -1)),
  );
  requireWindow(notBefore, notAfter);
  const details: NebulaCertificateV2Details = {
    name: options.name,
    networks: (options.networks ?? []).map(normalise),
    unsafeNetworks: (options.unsafeNetworks ?? []).map(normalise), // kept as written, as nebula-cert 1.10 keeps them
    groups: cleanGroups(options.groups),
    notBefore,
    notAfter,
    isCA: false,
    issuer: await fingerprintV2(ca),
    curve: 'CURVE25519',
    publicKey,
  };
  const checked = marshalDetailsV2(details).details; // nebula's rules first: they name the problem better
  checkCaConstraintsAny(
    { ...checked, networks: checked.networks.map(prefixFrom), unsafeNetworks: checked.unsafeNetworks.map(prefixFrom) },
    constrainedFactsOf(ca),
  );
  const certificate = await signCertificateV2(checked, signer);
  return { certificate, pem: certificateV2ToPem(certificate), fingerprint: await fingerprintV2(certificate), details: certificate.details };
}

function signerFor(ca: HostCertificateV2Options['ca']): Promise<Ed25519Signer> {
  if (ca.signer) return Promise.resolve(ca.signer);
  if (ca.privateKey === undefined) throw new VidsyncError('validation_failed', 'a CA private key or signer is required');
  return createEd25519Signer(typeof ca.privateKey === 'string' ? parseEd25519PrivateKeyPem(ca.privateKey).privateKey : ca.privateKey);
}

function normalise(value: string | NetworkPrefix): NetworkPrefix {
  return toNetworkPrefix(prefixFrom(value));
}

function requireWindow(notBefore: Date, notAfter: Date): void {
  if (notAfter.getTime() <= notBefore.getTime()) throw new VidsyncError('validation_failed', 'notAfter must be later than notBefore');
}

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
