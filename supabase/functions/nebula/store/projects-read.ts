// What the dashboard reads: the caller's projects with their pool usage and
// CA expiry, and one project's devices with their certificates. Projects,
// members, devices, the pool and issued certificates are read as the caller
// (RLS: members only); the CA's expiry comes from vidsync.project_cas, which
// only the service role reads, and only for projects the caller was just
// shown.
import { VidsyncError } from '../../_shared/errors.ts';
import { asServiceRole } from './transaction.ts';
import type { HeartbeatFolder as SyncFolder } from '../../_shared/api-types.ts';
import type { Tx } from './transaction.ts';

export type ProjectRole = 'owner' | 'admin' | 'member';

export interface ProjectSummary {
  readonly id: string;
  readonly name: string;
  readonly subnet: string;
  readonly ownerId: string;
  readonly createdAt: Date;
  /** The caller's role; null for the service role, which is no member. */
  readonly role: ProjectRole | null;
  /** Host addresses of the subnet (network and broadcast excluded), those held by a device, and those cooling after a release. */
  readonly pool: { readonly size: number; readonly used: number; readonly cooling: number };
  /** Devices holding an address (released and revoked ones hold none). */
  readonly liveDevices: number;
  /** The signing CA; null only if the project has none (never after creation). */
  readonly ca: { readonly fingerprint: string; readonly notAfter: Date } | null;
}

export interface DeviceSummary {
  readonly id: string;
  readonly name: string;
  readonly ownerId: string;
  readonly ip: string | null;
  readonly isLighthouse: boolean;
  readonly lastSeenAt: Date | null;
  readonly syncthingDeviceId: string | null;
  readonly revokedAt: Date | null;
  readonly createdAt: Date;
  /** What its last heartbeat said it runs. */
  readonly agentVersion: string | null;
  readonly nebulaVersion: string | null;
  /** Its newest unrevoked certificate. */
  readonly certificate: { readonly fingerprint: string; readonly notAfter: Date } | null;
  /** Its folders' sync state, as its last heartbeat reported it. */
  readonly folders: SyncFolder[];
}

interface ProjectRow {
  id: string;
  name: string;
  subnet: string;
  owner_id: string;
  created_at: Date;
  role: ProjectRole | null;
  size: string;
  used: string;
  cooling: string;
  live_devices: string;
}

/** The projects RLS shows the caller (their memberships), oldest first; or the one `projectId` (404 if not visible). */
export async function projectSummaries(tx: Tx, projectId: string | null): Promise<ProjectSummary[]> {
  const rows = await tx<ProjectRow[]>`
    select p.id, p.name, p.subnet::text as subnet, p.owner_id, p.created_at, m.role,
           (2::bigint ^ (32 - pg_catalog.masklen(p.subnet)))::bigint - 2 as size,
           (select count(*) from vidsync.ip_pool a where a.project_id = p.id and a.device_id is not null) as used,
           (select count(*) from vidsync.ip_pool a where a.project_id = p.id and a.device_id is null and a.reusable_after > now()) as cooling,
           (select count(*) from vidsync.devices d where d.project_id = p.id and d.overlay_ip is not null) as live_devices
      from vidsync.projects p
      left join vidsync.project_members m on m.project_id = p.id and m.user_id = (select auth.uid())
     where ${projectId}::uuid is null or p.id = ${projectId}::uuid
     order by p.created_at, p.id`;
  if (projectId !== null && rows.length === 0) throw new VidsyncError('not_found', `no project ${projectId}`);
  // Every user-scoped read above is awaited: only now may the role switch (transaction.ts).
  const cas = rows.length === 0 ? [] : await asServiceRole(tx, (tx) => tx<{ project_id: string; fingerprint: string; not_after: Date }[]>`
    select project_id, fingerprint, not_after from vidsync.project_cas
     where active and project_id = any(${rows.map((r) => r.id)}::uuid[])`);
  const caOf = new Map(cas.map((c) => [c.project_id, { fingerprint: c.fingerprint, notAfter: c.not_after }]));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    subnet: r.subnet,
    ownerId: r.owner_id,
    createdAt: r.created_at,
    role: r.role,
    pool: { size: Number(r.size), used: Number(r.used), cooling: Number(r.cooling) },
    liveDevices: Number(r.live_devices),
    ca: caOf.get(r.id) ?? null,
  }));
}

/** Every device of a project the caller can see (RLS), live ones in address order, then released and revoked ones by name. */
export async function deviceSummaries(tx: Tx, projectId: string): Promise<DeviceSummary[]> {
  const rows = await tx<{
    id: string;
    name: string;
    owner_id: string;
    ip: string | null;
    is_lighthouse: boolean;
    last_seen_at: Date | null;
    syncthing_device_id: string | null;
    revoked_at: Date | null;
    created_at: Date;
    agent_version: string | null;
    nebula_version: string | null;
    cert_fingerprint: string | null;
    cert_not_after: Date | null;
    sync_folders: SyncFolder[];
  }[]>`
    select d.id, d.name, d.owner_id, host(d.overlay_ip) as ip, d.is_lighthouse, d.last_seen_at, d.syncthing_device_id,
           d.revoked_at, d.created_at, d.heartbeat ->> 'agentVersion' as agent_version, d.heartbeat ->> 'nebulaVersion' as nebula_version,
           c.fingerprint as cert_fingerprint, c.not_after as cert_not_after, d.sync_folders
      from vidsync.devices d
      left join lateral (
        select ic.fingerprint, ic.not_after from vidsync.issued_certificates ic
         where ic.device_id = d.id and ic.revoked_at is null
         order by ic.not_after desc limit 1) c on true
     where d.project_id = ${projectId}
     order by d.overlay_ip nulls last, d.name, d.id`;
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    ownerId: r.owner_id,
    ip: r.ip,
    isLighthouse: r.is_lighthouse,
    lastSeenAt: r.last_seen_at,
    syncthingDeviceId: r.syncthing_device_id,
    revokedAt: r.revoked_at,
    createdAt: r.created_at,
    agentVersion: r.agent_version,
    nebulaVersion: r.nebula_version,
    certificate: r.cert_fingerprint && r.cert_not_after ? { fingerprint: r.cert_fingerprint, notAfter: r.cert_not_after } : null,
    folders: r.sync_folders,
  }));
}
