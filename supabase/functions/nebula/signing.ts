// The function's use of our Nebula certificate library: project CAs
// constrained to the project's subnet, device certificates, and the checks an
// imported CA must pass before it may sign for a project.
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

/** A new CA's NotBefore lies this far back, so device certificates may be backdated for slow clocks. */
const CA_BACKDATE_SECONDS = 3600;

export interface SigningCa {
  readonly fingerprint: string;
  readonly certificate: NebulaCertificate;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly signer: Ed25519Signer;
}

export interface IssuedCertificate {
  readonly pem: string;
  readonly fingerprint: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export async function createProjectCa(options: { name: string; subnet: string; lifetimeSeconds: number }) {
  const notBefore = new Date(Date.now() - CA_BACKDATE_SECONDS * 1000);
  // Constrained to the project's subnet: even a leaked CA key cannot sign an
  // address outside the project, and nebula itself enforces it.
  const ca = await createCertificateAuthority({
    name: options.name,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (options.lifetimeSeconds + CA_BACKDATE_SECONDS) * 1000),
    ips: [options.subnet],
  });
  return {
    certificatePem: ca.certificatePem,
    privateKeyPem: ca.privateKeyPem,
    fingerprint: ca.fingerprint,
    notBefore: ca.details.notBefore,
    notAfter: ca.details.notAfter,
  };
}

export async function openSigningCa(certificatePem: string, privateKeyPem: string): Promise<SigningCa> {
  const certificate = parseCertificatePem(certificatePem);
  const { privateKey, publicKey } = parseEd25519PrivateKeyPem(privateKeyPem);
  if (!bytesEqual(publicKey, certificate.details.publicKey)) {
    throw new VidsyncError('ca_key_mismatch', 'the CA private key does not belong to the CA certificate');
  }
  return {
    fingerprint: await fingerprint(certificate),
    certificate,
    notBefore: certificate.details.notBefore,
    notAfter: certificate.details.notAfter,
    signer: await createEd25519Signer(privateKey),
  };
}

/** Checks an imported CA (nebula-cert's ca.crt + ca.key) for use by a project whose subnet is `subnet`. */
export async function readCaForImport(certificatePem: string, privateKeyPem: string, subnet: string, now: Date) {
  const ca = await openSigningCa(certificatePem, privateKeyPem);
  const details = ca.certificate.details;
  if (!details.isCA) throw new VidsyncError('cert_not_ca', `"${details.name}" is not a CA certificate`);
  if (details.notAfter.getTime() <= now.getTime()) throw new VidsyncError('ca_expired', `the CA "${details.name}" has expired`);
  const projectNet = parseCidr(subnet);
  if (details.ips.length > 0 && !details.ips.some((allowed) => cidrWithin(projectNet, allowed))) {
    throw new VidsyncError('ca_constraint_ip', `the CA "${details.name}" may not sign addresses of the project's subnet ${subnet}`);
  }
  return { fingerprint: ca.fingerprint, certificatePem: certificateToPem(ca.certificate), notBefore: ca.notBefore, notAfter: ca.notAfter };
}

/** The device's X25519 public key; an Ed25519 key, a wrong length or a bad PEM is a coded 400. */
export function parseDevicePublicKey(pem: string): Uint8Array {
  return parseX25519PublicKeyPem(pem).publicKey;
}

export async function signDeviceCertificate(
  ca: SigningCa,
  device: { name: string; publicKey: Uint8Array; ip: string; notBefore: Date; notAfter: Date },
): Promise<IssuedCertificate> {
  // signHostCertificate checks the CA's constraints (IP inside its networks, validity inside its own).
  const signed = await signHostCertificate({
    ca: { certificate: ca.certificate, signer: ca.signer },
    publicKey: device.publicKey,
    name: device.name,
    ip: device.ip,
    notBefore: device.notBefore,
    notAfter: device.notAfter,
  });
  return { pem: signed.pem, fingerprint: signed.fingerprint, notBefore: signed.details.notBefore, notAfter: signed.details.notAfter };
}
