// A project's certificate authority, as one concept: creating it, checking
// one a project owner imports, opening its sealed key to sign, and the
// validity policy of the device certificates it signs.
//
// Each project has its own Nebula CA, so a device of one project can never
// complete a handshake with a device of another. The CA's private key is kept
// only sealed (AES-256-GCM under the function's master key, bound to the
// project id); this module is the one place that seals and opens it, and it
// never returns or logs the key. Storing the rows is the data layer's job
// (store/cas.ts); nothing here runs SQL.
import { VidsyncError } from '../_shared/errors.ts';
import {
  certificateToPem,
  createCertificateAuthority,
  createEd25519Signer,
  fingerprint,
  parseCertificatePem,
  parseEd25519PrivateKeyPem,
  parseX25519PublicKeyPem,
  signHostCertificate,
} from '../_shared/nebula-cert/index.ts';
import type { CertificateV1 as NebulaCertificate, Ed25519Signer } from '../_shared/nebula-cert/index.ts';
import { parseCidr, prefixWithin as cidrWithin } from '../_shared/net/index.ts';
import { bytesEqual } from '../_shared/bytes.ts';
import { openCaKey, sealCaKey } from '../_shared/secrets/index.ts';
import type { MasterKeyring } from '../_shared/secrets/index.ts';

/** A project's CA as stored and shown: the one record type every caller uses. */
export interface ProjectCa {
  readonly fingerprint: string;
  readonly certificatePem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A CA row with its key, sealed to the project. */
export interface SealedCa extends ProjectCa {
  readonly sealedPrivateKey: string;
}

/** An opened CA, ready to sign. */
export interface SigningCa extends ProjectCa {
  readonly certificate: NebulaCertificate;
  readonly signer: Ed25519Signer;
}

export interface IssuedCertificate {
  readonly pem: string;
  readonly fingerprint: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** The database's bounds on any CA of a project, generated or imported. */
export interface CaLimits {
  /** The longest validity (NotAfter - NotBefore): vidsync.settings.max_ca_lifetime. */
  readonly maxLifetimeSeconds: number;
}

export interface CaPolicy {
  /** Lifetime of a project CA created by us. */
  readonly caLifetimeSeconds: number;
  /** Lifetime of a device certificate, before the limits below. */
  readonly hostCertLifetimeSeconds: number;
}

/** A new CA's NotBefore lies this far back, so device certificates may be backdated for slow clocks. */
const CA_BACKDATE_SECONDS = 3600;
/** How far back a device certificate's NotBefore reaches, for devices whose clock runs a little late. */
const CLOCK_SKEW_SECONDS = 300;
/** Opened CAs are cached by fingerprint (content-addressed, so never stale); bounded. */
const MAX_CACHED_CAS = 256;

/**
 * The validity of a device certificate signed at `now`:
 *  - it starts CLOCK_SKEW_SECONDS early, but never before the CA does;
 *  - it lasts the configured lifetime, but no longer than a released IP
 *    cools: otherwise an old holder's certificate could still be valid when
 *    the IP goes to a new device;
 *  - it ends before the CA does (nebula rejects a certificate that outlives its CA).
 */
export function deviceCertificateValidity(input: {
  now: number;
  ca: { notBefore: Date; notAfter: Date };
  lifetimeSeconds: number;
  ipCoolingSeconds: number;
}): { notBefore: Date; notAfter: Date } {
  const lifetimeSeconds = Math.min(input.lifetimeSeconds, input.ipCoolingSeconds);
  return {
    notBefore: new Date(Math.max(input.now - CLOCK_SKEW_SECONDS * 1000, input.ca.notBefore.getTime())),
    notAfter: new Date(Math.min(input.now + lifetimeSeconds * 1000, input.ca.notAfter.getTime() - 1000)),
  };
}

/** The device's X25519 public key; an Ed25519 key, a wrong length or a bad PEM is a coded 400. */
export function parseDevicePublicKey(pem: string): Uint8Array {
  return parseX25519PublicKeyPem(pem).publicKey;
}

/** The function's CAs: holds the master keys (the newest seals, each opens) and a cache of opened CAs. */
export class ProjectCas {
  readonly #masterKey: MasterKeyring;
  readonly #policy: CaPolicy;
  readonly #opened = new Map<string, Promise<SigningCa>>();

  constructor(masterKey: MasterKeyring, policy: CaPolicy) {
    this.#masterKey = masterKey;
    this.#policy = policy;
  }

  /**
   * A new CA for the project, constrained to its subnet: even a leaked key
   * cannot sign outside it, and nebula enforces that. Valid for the
   * configured lifetime, but never longer than the database allows.
   */
  async generate(project: { id: string; subnet: string }, limits: CaLimits): Promise<SealedCa> {
    const notBefore = new Date(Date.now() - CA_BACKDATE_SECONDS * 1000);
    const lifetimeSeconds = Math.min(this.#policy.caLifetimeSeconds + CA_BACKDATE_SECONDS, limits.maxLifetimeSeconds);
    const ca = await createCertificateAuthority({
      name: `vidsync project ${project.id}`,
      notBefore,
      notAfter: new Date(notBefore.getTime() + lifetimeSeconds * 1000),
      ips: [project.subnet],
    });
    return {
      fingerprint: ca.fingerprint,
      certificatePem: ca.certificatePem,
      notBefore: ca.details.notBefore,
      notAfter: ca.details.notAfter,
      sealedPrivateKey: await sealCaKey(this.#masterKey, ca.privateKeyPem, project.id),
    };
  }

  /**
   * Checks an existing CA (nebula-cert's ca.crt + ca.key) for a project: the
   * key must match; it must be a CA, valid now (give or take the clock skew
   * allowed for devices) and for no longer than `limits` allow; and it must
   * be limited to the project's subnet (nebula-cert ca -ips <subnet>). A CA
   * without IP limits, or with wider ones, would let whoever holds its key
   * sign, offline, a certificate for any address, 8.8.8.8 included.
   * Returns it sealed, certificate in canonical PEM.
   */
  async readImport(
    project: { id: string; subnet: string },
    certificatePem: string,
    privateKeyPem: string,
    limits: CaLimits,
    now = new Date(),
  ): Promise<SealedCa> {
    const ca = await openCa(certificatePem, privateKeyPem);
    const details = ca.certificate.details;
    const name = JSON.stringify(details.name);
    if (!details.isCA) throw new VidsyncError('cert_not_ca', `${name} is not a CA certificate`);
    if (details.notAfter.getTime() <= now.getTime()) throw new VidsyncError('ca_expired', `the CA ${name} has expired`);
    if (details.notBefore.getTime() > now.getTime() + CLOCK_SKEW_SECONDS * 1000) {
      throw new VidsyncError('ca_not_yet_valid', `the CA ${name} is not valid before ${details.notBefore.toISOString()}`);
    }
    const lifetimeSeconds = (details.notAfter.getTime() - details.notBefore.getTime()) / 1000;
    if (lifetimeSeconds > limits.maxLifetimeSeconds) {
      throw new VidsyncError(
        'ca_lifetime_too_long',
        `the CA ${name} is valid for ${Math.round(lifetimeSeconds / 86400)} days; this deployment accepts at most ${Math.floor(limits.maxLifetimeSeconds / 86400)}`,
      );
    }
    const projectNet = parseCidr(project.subnet);
    if (details.ips.length === 0) {
      throw new VidsyncError('ca_constraint_ip', `the CA ${name} has no IP limits; make it with nebula-cert ca -ips ${project.subnet}`);
    }
    if (!details.ips.every((allowed) => cidrWithin(allowed, projectNet)) || !details.ips.some((allowed) => cidrWithin(projectNet, allowed))) {
      throw new VidsyncError('ca_constraint_ip', `the CA ${name} must be limited to the project's subnet ${project.subnet} (nebula-cert ca -ips ${project.subnet})`);
    }
    return {
      fingerprint: ca.fingerprint,
      certificatePem: certificateToPem(ca.certificate),
      notBefore: ca.notBefore,
      notAfter: ca.notAfter,
      sealedPrivateKey: await sealCaKey(this.#masterKey, privateKeyPem, project.id),
    };
  }

  /** Opens a project's CA from its sealed row; cached, so the key is unsealed once per instance. */
  open(projectId: string, sealed: SealedCa): Promise<SigningCa> {
    const cached = this.#opened.get(sealed.fingerprint);
    if (cached) return cached;
    const opening = (async () => openCa(sealed.certificatePem, await openCaKey(this.#masterKey, sealed.sealedPrivateKey, projectId)))();
    opening.catch(() => this.#opened.delete(sealed.fingerprint));
    if (this.#opened.size >= MAX_CACHED_CAS) {
      const oldest = this.#opened.keys().next().value;
      if (oldest !== undefined) this.#opened.delete(oldest);
    }
    this.#opened.set(sealed.fingerprint, opening);
    return opening;
  }

  /** Signs a device certificate under the validity policy above. `ip` is `host/prefix`. */
  async issue(
    ca: SigningCa,
    device: { name: string; publicKey: Uint8Array; ip: string },
    ipCoolingSeconds: number,
    now = Date.now(),
  ): Promise<IssuedCertificate> {
    const validity = deviceCertificateValidity({ now, ca, lifetimeSeconds: this.#policy.hostCertLifetimeSeconds, ipCoolingSeconds });
    // signHostCertificate checks the CA's constraints (IP inside its networks, validity inside its own).
    const signed = await signHostCertificate({
      ca: { certificate: ca.certificate, signer: ca.signer },
      publicKey: device.publicKey,
      name: device.name,
      ip: device.ip,
      notBefore: validity.notBefore,
      notAfter: validity.notAfter,
    });
    return { pem: signed.pem, fingerprint: signed.fingerprint, notBefore: signed.details.notBefore, notAfter: signed.details.notAfter };
  }
}

async function openCa(certificatePem: string, privateKeyPem: string): Promise<SigningCa> {
  const certificate = parseCertificatePem(certificatePem);
  const { privateKey, publicKey } = parseEd25519PrivateKeyPem(privateKeyPem);
  if (!bytesEqual(publicKey, certificate.details.publicKey)) {
    throw new VidsyncError('ca_key_mismatch', 'the CA private key does not belong to the CA certificate');
  }
  return {
    fingerprint: await fingerprint(certificate),
    certificatePem,
    notBefore: certificate.details.notBefore,
    notAfter: certificate.details.notAfter,
    certificate,
    signer: await createEd25519Signer(privateKey),
  };
}
