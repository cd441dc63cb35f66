// Members of a project: listed by any member, removed by owners and admins
// or by themselves (vidsync_api.list_members / remove_member, migration
// 20251130080000); removal revokes the member's devices in the same transaction.
import type { Tx } from './transaction.ts';

export interface Member {
  readonly userId: string;
  readonly role: string;
  readonly joinedAt: string;
  /** Devices of this member in the project that are not revoked. */
  readonly devices: number;
}

export async function listMembers(tx: Tx, projectId: string): Promise<Member[]> {
  const rows = await tx<{ user_id: string; role: string; joined_at: Date; devices: number }[]>`
    select * from vidsync_api.list_members(${projectId})`;
  return rows.map((r) => ({ userId: r.user_id, role: r.role, joinedAt: r.joined_at.toISOString(), devices: r.devices }));
}

/** Returns how many devices were revoked with the membership. */
export async function removeMember(tx: Tx, projectId: string, userId: string): Promise<number> {
  const [row] = await tx<{ revoked_devices: number }[]>`select revoked_devices from vidsync_api.remove_member(${projectId}, ${userId})`;
  return row!.revoked_devices;
}

export interface RoleChange {
  readonly role: string;
  readonly previousRole: string;
}

/** Owners and admins change a member's role; only an owner makes or unmakes an owner; the last owner stays (VS054). */
export async function setMemberRole(tx: Tx, projectId: string, userId: string, role: string): Promise<RoleChange> {
  const [row] = await tx<{ new_role: string; previous_role: string }[]>`
    select new_role, previous_role from vidsync_api.set_member_role(${projectId}, ${userId}, ${role})`;
  return { role: row!.new_role, previousRole: row!.previous_role };
}
