// Making certificates of either version: a self-signed CA, and host
// certificates signed by a CA after its constraints are checked (nebula-cert
// sign refuses the same things). Two steps, as in nebula: build the details
// ("to be signed"), then `signCertificate` with any Ed25519Signer, so a caller
// may keep the CA key elsewhere. Curve25519 only: signing P256 certificates
// would need an ECDSA signer, and our CAs are Ed25519.
import { VidsyncError } from '../errors.ts';
import { bytesEqual } from '../bytes.ts';
import { networkOf, parseCidr, type Prefix, prefixBytes, prefixOf } from '../net/index.ts';
import {
  type Certificate,
  type CertificateOf,
  certificateToPem,
  type CertificateV1,
  type CertificateV2,
  type Codec,
  codecOf,
  type DetailsV1,
  type DetailsV2,
  fingerprint,
  parseCertificatePem,
  type Version,
} from './certificate.ts';
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
import { addSeconds, wholeSeconds } from './time.ts';

/** nebula-cert ca's default lifetime: 8760h. */
const DEFAULT_CA_DURATION_SECONDS = 8760 * 3600;

/** Prefixes as options take them: text ("10.99.1.5/24") or objects. */
type Prefixes = readonly (string | Prefix)[];

/** Details to be signed; `version` defaults to 1. */
export type ToBeSigned = (DetailsV1 & { version?: 1 }) | (DetailsV2 & { version: 2 });

interface CommonCaOptions {
  name: string;
  /** Defaults to `now`. */
  notBefore?: Date;
  /** Defaults to notBefore + durationSeconds. */
  notAfter?: Date;
  /** Defaults to DEFAULT_CA_DURATION_SECONDS. */
  durationSeconds?: number;
  /** Limits the groups of certificates this CA signs. */
  groups?: readonly string[];
  now?: Date;
  /** Use this key instead of a fresh one (nebula layout: 64 bytes). */
  keyPair?: KeyPair;
}

export interface CaOptionsV1 extends CommonCaOptions {
  version?: 1;
  /** Limits the IPs of certificates this CA signs ("10.99.0.0/16"). */
  ips?: Prefixes;
  /** Limits the unsafe subnets of certificates this CA signs. */
  subnets?: Prefixes;
}

export interface CaOptionsV2 extends CommonCaOptions {
  version: 2;
  /** Limits the networks of certificates this CA signs ("10.99.0.0/16", "fd00:99::/48"). */
  networks?: Prefixes;
  /** Limits the unsafe networks of certificates this CA signs. */
  unsafeNetworks?: Prefixes;
}

/** Options for a CA of version V (default 1). */
export type CertificateAuthorityOptions<V extends Version = 1> = V extends 2 ? CaOptionsV2 : CaOptionsV1;

/** What signing returns: the certificate, its fingerprint and its details. */
interface Issued<C extends Certificate> {
  certificate: C;
  fingerprint: string;
  details: C['details'];
}

export interface CreatedCertificateAuthority<C extends Certificate = CertificateV1> extends Issued<C> {
  certificatePem: string;
  /** 64 bytes: seed || public key. */
  privateKey: Uint8Array;
  privateKeyPem: string;
  publicKey: Uint8Array;
}

interface CommonHostOptions {
  /** The device's X25519 public key: 32 bytes or nebula PEM. */
  publicKey: Uint8Array | string;
  name: string;
  groups?: readonly string[];
  /** Defaults to `now`. */
  notBefore?: Date;
  /** Defaults to notBefore + durationSeconds, or one second before the CA expires (nebula-cert's default). */
  notAfter?: Date;
  durationSeconds?: number;
  now?: Date;
}

interface SigningCa<C extends Certificate> {
  /** PEM or parsed CA certificate, of the version being signed. */
  certificate: string | C;
  /** The CA's Ed25519 private key: nebula PEM or 64 raw bytes. Or give `signer`. */
  privateKey?: string | Uint8Array;
  signer?: Ed25519Signer;
}

export interface HostOptionsV1 extends CommonHostOptions {
  version?: 1;
  ca: SigningCa<CertificateV1>;
  /** Overlay address with the network's prefix: "10.99.1.5/24". */
  ip: string | Prefix;
  subnets?: Prefixes;
}

export interface HostOptionsV2 extends CommonHostOptions {
  version: 2;
  ca: SigningCa<CertificateV2>;
  /** One or more overlay addresses with their network's prefix: "10.99.1.5/24", "fd00:99::5/64". */
  networks: Prefixes;
  unsafeNetworks?: Prefixes;
}

/** Options for a host certificate of version V (default 1). */
export type HostCertificateOptions<V extends Version = 1> = V extends 2 ? HostOptionsV2 : HostOptionsV1;

export interface SignedCertificate<C extends Certificate = CertificateV1> extends Issued<C> {
  pem: string;
}

/** Checks and signs finished details (v2 networks are sorted as nebula sorts them). */
export function signCertificate(details: DetailsV1 & { version?: 1 }, signer: Ed25519Signer): Promise<CertificateV1>;
export function signCertificate(details: DetailsV2 & { version: 2 }, signer: Ed25519Signer): Promise<CertificateV2>;
export function signCertificate(tbs: ToBeSigned, signer: Ed25519Signer): Promise<Certificate>;
export async function signCertificate(tbs: ToBeSigned, signer: Ed25519Signer): Promise<Certificate> {
  const { version = 1, ...details } = tbs;
  return sign(codecOf(version) as Codec<Certificate>, details, signer);
}

export function createCertificateAuthority(options: CaOptionsV1): Promise<CreatedCertificateAuthority<CertificateV1>>;
export function createCertificateAuthority(options: CaOptionsV2): Promise<CreatedCertificateAuthority<CertificateV2>>;
export async function createCertificateAuthority(options: CaOptionsV1 | CaOptionsV2): Promise<CreatedCertificateAuthority<Certificate>> {
  requireName(options.name);
  const notBefore = wholeSeconds(options.notBefore ?? options.now ?? new Date());
  const notAfter = wholeSeconds(options.notAfter ?? addSeconds(notBefore, durationOf(options.durationSeconds, DEFAULT_CA_DURATION_SECONDS)));
  requireWindow(notBefore, notAfter);
  const keyPair = options.keyPair ?? (await generateEd25519KeyPair());
  const signer = await createEd25519Signer(keyPair.privateKey);
  const common = { name: options.name, groups: cleanGroups(options.groups), notBefore, notAfter, publicKey: signer.publicKey, isCA: true, issuer: '' };
  const certificate = await signCertificate(
    options.version === 2
      ? { version: 2, ...common, networks: normalised(options.networks), unsafeNetworks: normalised(options.unsafeNetworks), curve: 'CURVE25519' }
      : // nebula-cert ca keeps the address as given for -ips and masks -subnets.
        { ...common, ips: (options.ips ?? []).map(cidrOf), subnets: (options.subnets ?? []).map((s) => networkOf(cidrOf(s))) },
    signer,
  );
  return {
    certificate,
    certificatePem: certificateToPem(certificate),
    privateKey: keyPair.privateKey,
    privateKeyPem: ed25519PrivateKeyToPem(keyPair.privateKey),
    publicKey: signer.publicKey,
    fingerprint: await fingerprint(certificate),
    details: certificate.details,
  };
}

export function signHostCertificate(options: HostOptionsV1): Promise<SignedCertificate<CertificateV1>>;
export function signHostCertificate(options: HostOptionsV2): Promise<SignedCertificate<CertificateV2>>;
export async function signHostCertificate(options: HostOptionsV1 | HostOptionsV2): Promise<SignedCertificate<Certificate>> {
  const version: Version = options.version ?? 1;
  const now = options.now ?? new Date();
  const given = options.ca.certificate;
  const ca: Certificate = typeof given === 'string' ? parseCertificatePem(given, { version }) : given;
  if (ca.version !== version) throw new VidsyncError('validation_failed', `a v${ca.version} CA given to sign a v${version} certificate`);
  if (!ca.details.isCA) throw new VidsyncError('cert_not_ca', `the signing certificate "${ca.details.name}" is not a CA`);
  if (ca.version === 2 && ca.details.curve !== 'CURVE25519') throw new VidsyncError('validation_failed', 'only Curve25519 CAs can sign here');
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
      (options.durationSeconds !== undefined ? addSeconds(notBefore, durationOf(options.durationSeconds, 0)) : addSeconds(ca.details.notAfter, -1)),
  );
  requireWindow(notBefore, notAfter);
  const common = { name: options.name, groups: cleanGroups(options.groups), notBefore, notAfter, publicKey, isCA: false, issuer: await caFingerprint(ca) };
  const details: Certificate['details'] =
    options.version === 2
      ? // unsafe networks are kept as written, as nebula-cert 1.10 keeps them
        { ...common, networks: normalised(options.networks), unsafeNetworks: normalised(options.unsafeNetworks), curve: 'CURVE25519' }
      : { ...common, ips: [cidrOf(options.ip)], subnets: (options.subnets ?? []).map((s) => networkOf(cidrOf(s))) };
  const certificate = await sign(codecOf(version) as Codec<Certificate>, details, signer, ca);
  return { certificate, pem: certificateToPem(certificate), fingerprint: await fingerprint(certificate), details: certificate.details };
}

/** Encode (nebula's rules first: they name a problem best), check the CA's constraints, sign, assemble. */
async function sign(codec: Codec<Certificate>, details: Certificate['details'], signer: Ed25519Signer, ca?: Certificate): Promise<Certificate> {
  if (codec.version === 2 && (details as DetailsV2 | undefined)?.curve !== 'CURVE25519') {
    throw new VidsyncError('validation_failed', 'only CURVE25519 certificates can be signed here (the signer is Ed25519)');
  }
  const marshalled = codec.marshal(details);
  if (ca) checkCaConstraints({ version: codec.version, details: marshalled.details } as Certificate, ca);
  const signature = await signer.sign(marshalled.signedBytes);
  return codec.assemble(marshalled.details, marshalled.detailsBytes, signature);
}

const caFingerprints = new WeakMap<Certificate, Promise<string>>();

/** A CA signs many certificates in a row; hash it once per parsed CA object. */
function caFingerprint(ca: Certificate): Promise<string> {
  let fp = caFingerprints.get(ca);
  if (!fp) {
    fp = fingerprint(ca);
    caFingerprints.set(ca, fp);
  }
  return fp;
}

const signerCache = new WeakMap<Uint8Array, Promise<Ed25519Signer>>();

function signerFor(ca: SigningCa<Certificate>): Promise<Ed25519Signer> {
  if (ca.signer) return Promise.resolve(ca.signer);
  if (ca.privateKey === undefined) throw new VidsyncError('validation_failed', 'a CA private key or signer is required');
  if (typeof ca.privateKey === 'string') return createEd25519Signer(parseEd25519PrivateKeyPem(ca.privateKey).privateKey);
  // Importing a key costs as much as a signature: reuse it while the caller keeps the same bytes.
  const key = ca.privateKey;
  let signer = signerCache.get(key);
  if (!signer) {
    signer = createEd25519Signer(key);
    signerCache.set(key, signer);
    signer.catch(() => signerCache.delete(key));
  }
  return signer;
}

/** v1 prefixes: IPv4 as Go's net.ParseCIDR reads it, host address kept. */
function cidrOf(value: string | Prefix): Prefix {
  return parseCidr(typeof value === 'string' ? value : `${value?.address}/${value?.prefix}`);
}

/** v2 prefixes: either family, in netip's text form. */
function normalised(values: Prefixes | undefined): Prefix[] {
  return (values ?? []).map((v) => prefixOf(prefixBytes(v)));
}

function requireName(name: string): void {
  if (typeof name !== 'string' || name === '') throw new VidsyncError('validation_failed', 'name is required');
}

function requireWindow(notBefore: Date, notAfter: Date): void {
  if (notAfter.getTime() <= notBefore.getTime()) throw new VidsyncError('validation_failed', 'notAfter must be later than notBefore');
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
