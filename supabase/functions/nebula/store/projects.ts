// Projects: creation (through the SQL API, which checks the caller and
// assigns the subnet), lookup under RLS, and deletion (owners only; the
// project's row goes with everything that hangs on it, its subnet stays
// held until its last certificate expires: migration 20251130120000).
import { VidsyncError } from '../../_shared/errors.ts';
import type { Tx } from './transaction.ts';

export interface Project {
  readonly id: string;
  readonly name: string;
  /** The overlay subnet, e.g. 10.99.3.0/24. */
  readonly subnet: string;
  readonly ownerId: string;
}

/** Creates a project owned by the caller, with `subnet` or the next free block; populates its pool. */
export async function createProject(tx: Tx, name: string, subnet: string | null): Promise<Project> {
  const [row] = await tx<{ id: string; name: string; subnet: string; owner_id: string }[]>`
    select id, name, subnet::text as subnet, owner_id from vidsync_api.create_project(${name}, ${subnet}::cidr)`;
  return { id: row!.id, name: row!.name, subnet: row!.subnet, ownerId: row!.owner_id };
}

/** Found only if RLS lets the caller see it: non-members get 404, not a hint that it exists. */
export async function visibleProject(tx: Tx, projectId: string): Promise<Project> {
  const [row] = await tx<{ id: string; name: string; subnet: string; owner_id: string }[]>`
    select id, name, subnet::text as subnet, owner_id from vidsync.projects where id = ${projectId}`;
  if (!row) throw new VidsyncError('not_found', `no project ${projectId}`);
  return { id: row.id, name: row.name, subnet: row.subnet, ownerId: row.owner_id };
}

export interface DeletedProject {
  readonly projectId: string;
  readonly name: string;
  readonly subnet: string;
  /** Devices that held an address, now gone with their certificates. */
  readonly revokedDevices: number;
  /** Certificates that were still valid. */
  readonly revokedCertificates: number;
  /** Invites that could still have been redeemed. */
  readonly revokedInvites: number;
  /** Until then the subnet stays with the project's users (their devices may still run its certificates). */
  readonly subnetHeldUntil: Date;
}

/** Deletes a project the caller owns, confirmed by its name (VS055 otherwise). */
export async function deleteProject(tx: Tx, projectId: string, confirmName: string): Promise<DeletedProject> {
  const [row] = await tx<{ project_id: string; name: string; subnet: string; revoked_devices: number; revoked_certificates: number; revoked_invites: number; subnet_held_until: Date }[]>`
    select project_id, name, subnet::text as subnet, revoked_devices, revoked_certificates, revoked_invites, subnet_held_until
      from vidsync_api.delete_project(${projectId}, ${confirmName})`;
  return {
    projectId: row!.project_id,
    name: row!.name,
    subnet: row!.subnet,
    revokedDevices: row!.revoked_devices,
    revokedCertificates: row!.revoked_certificates,
    revokedInvites: row!.revoked_invites,
    subnetHeldUntil: row!.subnet_held_until,
  };
}
