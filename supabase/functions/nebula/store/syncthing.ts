// Syncthing: a device's Syncthing device ID (set through the SQL API, which
// holds who may) and a device's peers, read under RLS as the caller.
import { VidsyncError } from '../../_shared/errors.ts';
import type { Tx } from './transaction.ts';

/** Stores (or with null clears) the device's Syncthing device ID; VS005 invalid, VS006 taken, VS004 not allowed. */
export async function setSyncthingDeviceId(tx: Tx, deviceId: string, syncthingDeviceId: string | null): Promise<void> {
  await tx`select vidsync_api.set_syncthing_device_id(${deviceId}, ${syncthingDeviceId})`;
}

export interface PeerSelf {
  readonly id: string;
  readonly projectId: string;
  /** Null once released (or revoked, which releases). */
  readonly ip: string | null;
  /** The project's subnet, e.g. 10.99.3.0/24. */
  readonly subnet: string;
  readonly syncthingDeviceId: string | null;
  /** Set once revoked (a revoked device is also released). */
  readonly revokedAt: Date | null;
}

export interface Peer {
  readonly id: string;
  readonly name: string;
  readonly ip: string;
  readonly syncthingDeviceId: string | null;
  readonly isLighthouse: boolean;
  readonly lastSeenAt: Date | null;
}

/** The device asking for its peers, if RLS lets the caller see it. */
export async function peerSelf(tx: Tx, deviceId: string): Promise<PeerSelf> {
  const [row] = await tx<{ id: string; project_id: string; ip: string | null; subnet: string; syncthing_device_id: string | null; revoked_at: Date | null }[]>`
    select d.id, d.project_id, host(d.overlay_ip) as ip, p.subnet::text as subnet, d.syncthing_device_id, d.revoked_at
      from vidsync.devices d
      join vidsync.projects p on p.id = d.project_id
     where d.id = ${deviceId}`;
  if (!row) throw new VidsyncError('not_found', `no device ${deviceId}`);
  return { id: row.id, projectId: row.project_id, ip: row.ip, subnet: row.subnet, syncthingDeviceId: row.syncthing_device_id, revokedAt: row.revoked_at };
}

/**
 * The project's other live devices (those holding an address: released and
 * revoked devices hold none), in address order so that an unchanged set
 * reads back byte for byte the same.
 */
export async function peersOf(tx: Tx, projectId: string, exceptDeviceId: string): Promise<Peer[]> {
  const rows = await tx<{ id: string; name: string; ip: string; syncthing_device_id: string | null; is_lighthouse: boolean; last_seen_at: Date | null }[]>`
    select d.id, d.name, host(d.overlay_ip) as ip, d.syncthing_device_id, d.is_lighthouse, d.last_seen_at
      from vidsync.devices d
     where d.project_id = ${projectId}
       and d.overlay_ip is not null
       and d.id <> ${exceptDeviceId}
     order by d.overlay_ip`;
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    ip: r.ip,
    syncthingDeviceId: r.syncthing_device_id,
    isLighthouse: r.is_lighthouse,
    lastSeenAt: r.last_seen_at,
  }));
}
