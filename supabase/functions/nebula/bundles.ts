// What a device downloads: its nebula.yml and, on registration, the zipped
// bundle, from where the device sits in its project. Pure: the routes read
// the project's CAs and lighthouses through the store.
import { buildBundle, buildNebulaConfig, tunDeviceName } from '../_shared/bundle/index.ts';
import type { CaTrust, LighthouseInfo } from '../_shared/bundle/index.ts';

interface DevicePlace {
  projectId: string;
  ip: string;
  /** The project's subnet, e.g. 10.99.3.0/24. */
  subnet: string;
  isLighthouse: boolean;
  lighthouses: LighthouseInfo[];
  /** Revoked, unexpired certificate fingerprints of the project. */
  blocklist: readonly string[];
  /** The trusted CAs, named in nebula.yml so that a rotation changes what agents poll (caTrustOf). */
  trust?: CaTrust;
}

/** nebula.yml's `vidsync.ca` from the project's trusted CAs (store trustedCas: the signing one first). */
export function caTrustOf(trusted: readonly { fingerprint: string; signing: boolean }[]): CaTrust {
  return { signing: trusted.find((ca) => ca.signing)?.fingerprint ?? null, trusted: trusted.map((ca) => ca.fingerprint) };
}

export function configFor(place: DevicePlace): string {
  return buildNebulaConfig({
    projectId: place.projectId,
    overlayCidr: place.subnet,
    self: { ip: place.ip, isLighthouse: place.isLighthouse },
    lighthouses: place.lighthouses,
    tunDev: tunDeviceName(place.projectId),
    blocklist: place.blocklist,
    trust: place.trust,
  });
}

export function bundleFor(
  input: DevicePlace & { deviceName: string; caPems: readonly string[]; certificatePem: string; notAfter: Date },
): { zip: Uint8Array } {
  return buildBundle({
    projectId: input.projectId,
    deviceName: input.deviceName,
    // Several CAs during a rotation: nebula's pki.ca takes a bundle.
    caPem: input.caPems.map((pem) => pem.trimEnd() + '\n').join(''),
    certPem: input.certificatePem,
    notAfter: input.notAfter,
    overlayCidr: input.subnet,
    self: { ip: input.ip, isLighthouse: input.isLighthouse },
    lighthouses: input.lighthouses,
    blocklist: input.blocklist,
    trust: input.trust,
  });
}
