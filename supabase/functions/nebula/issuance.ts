// Issuing a device its certificate and bundle, the step that registration,
// renewal, a pinned address and enrollment share: what signing needs is read
// (as service_role: no user may read a CA row), the certificate is signed
// under the CA's validity policy (ca.ts) by the database's clock, recorded,
// and the bundle built around it. Each route does its own checks first, as
// the caller, in the same transaction.
import type { LighthouseInfo } from '../_shared/bundle/index.ts';
import type { IssuedCertificate, ProjectCas, SealedCa } from './ca.ts';
import { bundleFor, caTrustOf } from './bundles.ts';
import { blocklistOf, endWith, lighthousesOf, recordIssuedCertificate, signingCa, signingClock, trustedCas } from './store/index.ts';
import type { Tx } from './store/index.ts';
import type { TrustedCa } from './store/cas.ts';

/** What signing a certificate of the project, and the bundle around it, need from the database. */
export interface SigningContext {
  readonly sealed: SealedCa;
  readonly trusted: readonly TrustedCa[];
  readonly lighthouses: LighthouseInfo[];
  /** The database's clock and the IP cooling interval (store/settings.ts signingClock). */
  readonly clock: { readonly coolingSeconds: number; readonly now: Date };
  /** Revoked certificates, including the device's previous one when its key changed in this transaction. */
  readonly blocklist: readonly string[];
}

/** Reads the signing context in one round trip (the five queries go out together). Run it as service_role. */
export async function readSigningContext(tx: Tx, projectId: string): Promise<SigningContext> {
  const [sealed, trusted, lighthouses, clock, blocklist] = await Promise.all([
    signingCa(tx, projectId),
    trustedCas(tx, projectId),
    lighthousesOf(tx, projectId),
    signingClock(tx),
    blocklistOf(tx, projectId),
  ]);
  return { sealed, trusted, lighthouses, clock, blocklist };
}

/** The device a certificate is issued to, where it sits in its project. */
export interface IssuedDevice {
  readonly projectId: string;
  readonly deviceId: string;
  readonly name: string;
  /** The device's X25519 public key (ca.ts parseDevicePublicKey). */
  readonly publicKey: Uint8Array;
  /** The host address, and the project's subnet. */
  readonly ip: string;
  readonly subnet: string;
  readonly isLighthouse: boolean;
  /** The user it is issued for (null: the service role on nobody's behalf). */
  readonly issuedBy: string | null;
}

export interface Issued {
  readonly ip: string;
  /** `ip/prefix`, as the certificate names it. */
  readonly cidr: string;
  readonly certificate: IssuedCertificate;
  readonly bundle: { zip: Uint8Array };
}

/**
 * Signs, records and bundles, as service_role. `keepPem` stores the
 * certificate's PEM (renewals: a retried renewal gets the same certificate
 * back). `alongside` is written in the same round trip as the certificate
 * (the request's audit row). Both writes end the transaction (endWith): the
 * caller sends nothing after them in `tx`.
 */
export async function issueCertificate(
  cas: ProjectCas,
  tx: Tx,
  device: IssuedDevice,
  context: SigningContext,
  options: { keepPem?: boolean; alongside?: () => Promise<void> } = {},
): Promise<Issued> {
  const cidr = cidrOf(device);
  // By the database's clock, read under the device's row lock: the one a concurrent release of it stamps reusable_after with.
  const ca = await cas.open(device.projectId, context.sealed);
  const certificate = await cas.issue(ca, { name: device.name, publicKey: device.publicKey, ip: cidr }, context.clock.coolingSeconds, context.clock.now.getTime());
  const recorded = recordIssuedCertificate(tx, {
    fingerprint: certificate.fingerprint,
    projectId: device.projectId,
    deviceId: device.deviceId,
    caFingerprint: ca.fingerprint,
    ip: device.ip,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    issuedBy: device.issuedBy,
    ...(options.keepPem ? { certificatePem: certificate.pem } : {}),
  });
  // The transaction's last writes: COMMIT goes out behind them while the bundle is built.
  endWith(tx, recorded, ...(options.alongside ? [options.alongside()] : []));
  return { ip: device.ip, cidr, certificate, bundle: bundleAround(device, context, certificate) };
}

/** `ip/prefix`: the device's address with its project subnet's prefix length, as its certificate names it. */
export function cidrOf(device: { readonly ip: string; readonly subnet: string }): string {
  return `${device.ip}/${device.subnet.split('/')[1]}`;
}

/** The bundle of a certificate (a new one, or a renewal's earlier one returned again). */
export function bundleAround(device: Omit<IssuedDevice, 'publicKey' | 'issuedBy'>, context: Omit<SigningContext, 'sealed' | 'clock'>, certificate: IssuedCertificate): { zip: Uint8Array } {
  return bundleFor({
    projectId: device.projectId,
    deviceName: device.name,
    ip: device.ip,
    subnet: device.subnet,
    isLighthouse: device.isLighthouse,
    lighthouses: context.lighthouses,
    blocklist: context.blocklist,
    caPems: context.trusted.map((c) => c.certificatePem),
    trust: caTrustOf(context.trusted),
    certificatePem: certificate.pem,
    notAfter: certificate.notAfter,
  });
}
