// Invites: created, listed and revoked by owners and admins, redeemed by
// anyone signed in who holds the code (vidsync_api.*_invite, migration
// 20251130080000); device invites enroll a device for their creator
// (vidsync_api.create_device_invite / enroll_device, 20251130080000). Only
// the code's SHA-256 hash is passed in or stored.
import type { Invite } from '../../_shared/api-types.ts';
import type { Tx } from './transaction.ts';

export interface Redemption {
  readonly projectId: string;
  readonly role: string;
  /** False when the caller was a member already (no use counted). */
  readonly joined: boolean;
}

export async function createInvite(
  tx: Tx,
  projectId: string,
  codeHash: Uint8Array,
  invite: { role: string; maxUses: number; expiresInSeconds: number },
): Promise<{ inviteId: string; expiresAt: Date }> {
  const [row] = await tx<{ invite_id: string; expires_at: Date }[]>`
    select invite_id, expires_at from vidsync_api.create_invite(${projectId}, ${codeHash}, ${invite.role}, ${invite.maxUses}, ${invite.expiresInSeconds})`;
  return { inviteId: row!.invite_id, expiresAt: row!.expires_at };
}

export async function listInvites(tx: Tx, projectId: string): Promise<Invite[]> {
  const rows = await tx<{ invite_id: string; kind: 'member' | 'device'; role: 'admin' | 'member' | null; max_uses: number; uses: number; expires_at: Date; revoked_at: Date | null; created_by: string | null; created_at: Date }[]>`
    select * from vidsync_api.list_invites(${projectId})`;
  return rows.map((r) => ({
    inviteId: r.invite_id,
    kind: r.kind,
    role: r.role,
    maxUses: r.max_uses,
    uses: r.uses,
    expiresAt: r.expires_at.toISOString(),
    revokedAt: r.revoked_at?.toISOString() ?? null,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
  }));
}

export async function revokeInvite(tx: Tx, projectId: string, inviteId: string): Promise<void> {
  await tx`select vidsync_api.revoke_invite(${projectId}, ${inviteId})`;
}

export async function redeemInvite(tx: Tx, codeHash: Uint8Array): Promise<Redemption> {
  const [row] = await tx<{ project_id: string; role: string; joined: boolean }[]>`
    select project_id, role, joined from vidsync_api.redeem_invite(${codeHash})`;
  return { projectId: row!.project_id, role: row!.role, joined: row!.joined };
}

/** Owners and admins: an invite that enrolls devices for its creator (the caller, who must be a user). */
export async function createDeviceInvite(
  tx: Tx,
  projectId: string,
  codeHash: Uint8Array,
  invite: { maxUses: number; expiresInSeconds: number },
): Promise<{ inviteId: string; expiresAt: Date }> {
  const [row] = await tx<{ invite_id: string; expires_at: Date }[]>`
    select invite_id, expires_at from vidsync_api.create_device_invite(${projectId}, ${codeHash}, ${invite.maxUses}, ${invite.expiresInSeconds})`;
  return { inviteId: row!.invite_id, expiresAt: row!.expires_at };
}

export interface Enrollment {
  readonly projectId: string;
  /** The invite's creator, who owns the device. */
  readonly ownerId: string;
  readonly ip: string;
  readonly subnet: string;
}

/**
 * service_role: redeems a device invite (one use, under its row lock) and
 * registers the device for the invite's creator with its API key. The
 * certificate is the caller's next step, in the same transaction.
 */
export async function enrollWithInvite(
  tx: Tx,
  codeHash: Uint8Array,
  device: { deviceId: string; name: string; publicKeyPem: string; apiKey: string },
): Promise<Enrollment> {
  const [row] = await tx<{ project_id: string; owner_id: string; ip: string; subnet: string }[]>`
    select project_id, owner_id, host(ip) as ip, subnet::text as subnet
      from vidsync_api.enroll_device(${codeHash}, ${device.deviceId}, ${device.name}, ${device.publicKeyPem}, ${device.apiKey})`;
  return { projectId: row!.project_id, ownerId: row!.owner_id, ip: row!.ip, subnet: row!.subnet };
}
