// Devices: registration with IP allocation and release (through the SQL API,
// which holds every rule about who may do what), and lookup under RLS.
import { VidsyncError } from '../../_shared/errors.ts';
import type { HeartbeatFolder as SyncFolder } from '../../_shared/api-types.ts';
import type { CallerSteps, Tx } from './transaction.ts';
import { deviceQuotaCheck } from './quotas.ts';

export interface DeviceRegistration {
  readonly projectId: string;
  readonly deviceId: string;
  readonly name: string;
  readonly publicKeyPem: string;
  /** Present for a lighthouse: its public `host:port` endpoints. */
  readonly lighthouseEndpoints?: readonly string[];
  readonly syncthingDeviceId?: string;
}

export interface Allocation {
  /** The host address, e.g. 10.99.3.7. */
  readonly ip: string;
  /** The project's subnet, e.g. 10.99.3.0/24: the certificate names ip/prefix. */
  readonly subnet: string;
}

/**
 * Registers (or re-registers) the caller's device and returns its address,
 * allocating one if needed: the device quota (VS011), then the registration.
 * Built, not sent: the route sends it ahead of what signing reads
 * (callerThenServiceRole).
 */
export function registration(tx: Tx, device: DeviceRegistration): CallerSteps<Allocation> {
  return {
    queries: [
      deviceQuotaCheck(tx, device.projectId, device.deviceId),
      tx`
        select host(ip) as ip, subnet::text as subnet
          from vidsync_api.register_device(
            ${device.projectId}, ${device.deviceId}, ${device.name}, ${device.publicKeyPem},
            ${device.lighthouseEndpoints !== undefined}, ${device.lighthouseEndpoints ?? []}::text[], ${device.syncthingDeviceId ?? null})`,
    ],
    answer: ([, rows]) => rows![0] as unknown as Allocation,
  };
}

export interface Device {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  /** Null once released. */
  readonly ip: string | null;
  readonly subnet: string;
  readonly isLighthouse: boolean;
  readonly lastSeenAt: Date | null;
  /** Set once the device is revoked: it may not renew or register again. */
  readonly revokedAt: Date | null;
  /** Its folders' sync state, as its last heartbeat reported it. */
  readonly syncFolders: SyncFolder[];
}

/** Found only if RLS lets the caller see it (a member of its project). */
export async function visibleDevice(tx: Tx, deviceId: string): Promise<Device> {
  const [row] = await tx<{ id: string; project_id: string; name: string; ip: string | null; subnet: string; is_lighthouse: boolean; last_seen_at: Date | null; revoked_at: Date | null; sync_folders: SyncFolder[] }[]>`
    select d.id, d.project_id, d.name, host(d.overlay_ip) as ip, p.subnet::text as subnet,
           d.is_lighthouse, d.last_seen_at, d.revoked_at, d.sync_folders
      from vidsync.devices d
      join vidsync.projects p on p.id = d.project_id
     where d.id = ${deviceId}`;
  if (!row) throw new VidsyncError('not_found', `no device ${deviceId}`);
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    ip: row.ip,
    subnet: row.subnet,
    isLighthouse: row.is_lighthouse,
    lastSeenAt: row.last_seen_at,
    revokedAt: row.revoked_at,
    syncFolders: row.sync_folders,
  };
}

/** Releases the device's address (the SQL function decides who may); it cools before reuse. */
export async function releaseDevice(tx: Tx, deviceId: string, reason: string): Promise<void> {
  await tx`select vidsync_api.release_nebula_ip(${deviceId}, ${reason})`;
}

/** When a released address may be handed out again. service_role: the pool's cooling times are not a user's to read. */
export async function reusableAfter(tx: Tx, projectId: string, ip: string): Promise<Date | null> {
  const [row] = await tx<{ reusable_after: Date }[]>`
    select reusable_after from vidsync.ip_pool where project_id = ${projectId} and ip = ${ip}::inet`;
  return row?.reusable_after ?? null;
}
