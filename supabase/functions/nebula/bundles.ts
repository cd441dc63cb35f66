// What a device downloads: its nebula.yml and, on registration, the zipped
// bundle. The project's lighthouses come from the database at request time,
// so a config fetched later knows lighthouses added since. The list includes
// the device itself when it is a lighthouse: the config builder leaves it out
// of the hosts to ask and takes its listen port from its own endpoint.
import { buildBundle, buildNebulaConfig, tunDeviceName } from '../_shared/bundle/index.ts';
import type { LighthouseInfo } from '../_shared/bundle/index.ts';
import type { Tx } from './db.ts';

export async function lighthousesOf(tx: Tx, projectId: string): Promise<LighthouseInfo[]> {
  const rows = await tx<{ ip: string; endpoints: string[] }[]>`
    select host(overlay_ip) as ip, lighthouse_endpoints as endpoints
      from vidsync.devices
     where project_id = ${projectId} and is_lighthouse and overlay_ip is not null
     order by overlay_ip`;
  return rows.map((r) => ({ ip: r.ip, endpoints: r.endpoints }));
}

interface DevicePlace {
  projectId: string;
  ip: string;
  /** The project's subnet, e.g. 10.99.3.0/24. */
  subnet: string;
  isLighthouse: boolean;
  lighthouses: LighthouseInfo[];
}

export function configFor(place: DevicePlace): string {
  return buildNebulaConfig({
    projectId: place.projectId,
    overlayCidr: place.subnet,
    self: { ip: place.ip, isLighthouse: place.isLighthouse },
    lighthouses: place.lighthouses,
    tunDev: tunDeviceName(place.projectId),
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
  });
}
