// What a device downloads: its nebula.yml and, on registration, the zipped
// bundle. The project's lighthouses come from the database at request time,
// so a config fetched later knows lighthouses added since.
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
  /** A lighthouse's own public endpoints: it listens on the first one's port. */
  ownEndpoints: readonly string[];
  lighthouses: LighthouseInfo[];
  lighthousePort: number;
}

export function configFor(place: DevicePlace): string {
  return buildNebulaConfig({
    projectId: place.projectId,
    overlayCidr: place.subnet,
    self: selfOf(place),
    lighthouses: othersOf(place),
    tunDev: tunDeviceName(place.projectId),
  });
}

export function bundleFor(
  input: DevicePlace & { deviceId: string; deviceName: string; caPems: readonly string[]; certificatePem: string; notAfter: Date },
): { zip: Uint8Array } {
  return buildBundle({
    projectId: input.projectId,
    deviceName: input.deviceName,
    // Several CAs during a rotation: nebula's pki.ca takes a bundle.
    caPem: input.caPems.map((pem) => pem.trimEnd() + '\n').join(''),
    certPem: input.certificatePem,
    notAfter: input.notAfter,
    overlayCidr: input.subnet,
    self: selfOf(input),
    lighthouses: othersOf(input),
  });
}

function selfOf(place: DevicePlace): { ip: string; isLighthouse: boolean; listenPort?: number } {
  if (!place.isLighthouse) return { ip: place.ip, isLighthouse: false };
  return { ip: place.ip, isLighthouse: true, listenPort: portOf(place.ownEndpoints[0]) ?? place.lighthousePort };
}

/** A lighthouse does not list itself among the lighthouses it asks. */
function othersOf(place: DevicePlace): LighthouseInfo[] {
  return place.lighthouses.filter((l) => l.ip !== place.ip);
}

function portOf(endpoint: string | undefined): number | undefined {
  const match = endpoint?.match(/:(\d+)$/);
  return match ? Number(match[1]) : undefined;
}
