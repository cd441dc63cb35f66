// The people of a project, from a web page (the dashboard), an Electron
// renderer or Node: invites (create, device invites, list, revoke, redeem), members (list,
// change a role, remove, transfer ownership) and deleting the project.
// Browser-safe: supabase-js and fetch only. Errors are VidsyncErrors with
// the server's code (e.g. `invite_expired`, `last_owner`,
// `project_name_mismatch`).
import type { SupabaseClient } from '@supabase/supabase-js';
import { invokeNebula } from './invoke.ts';
import type { Invite } from '../../supabase/functions/_shared/api-types.ts';

export type MemberRole = 'owner' | 'admin' | 'member';
/** An invite never makes an owner: ownership is given by an owner (transferOwnership). */
export type InviteRole = 'admin' | 'member';

export interface InviteOptions {
  readonly role: InviteRole;
  /** 1–1000 redemptions. */
  readonly maxUses: number;
  /** 60 s – 30 days. */
  readonly expiresInSeconds: number;
}

export interface CreatedInvite {
  readonly inviteId: string;
  /** `ABCDE-FGHIJ-KLMNO-PQRST-UVWXY`: shown only now (the server keeps its hash). */
  readonly code: string;
  readonly kind: 'member' | 'device';
  /** Null for a device invite. */
  readonly role: InviteRole | null;
  readonly maxUses: number;
  readonly expiresAt: string;
}

/** An invite as listInvites answers it (`member`: redeemed at joinProject; `device`: enrolls a headless device). */
export type { Invite };

export interface JoinedProject {
  readonly projectId: string;
  readonly role: MemberRole;
  /** False when the caller was a member already (no use of the invite counted). */
  readonly joined: boolean;
}

export interface Member {
  readonly userId: string;
  readonly role: MemberRole;
  readonly joinedAt: string;
  /** Devices of this member in the project that are not revoked. */
  readonly devices: number;
}

export interface RoleChange {
  readonly projectId: string;
  readonly userId: string;
  readonly role: MemberRole;
  readonly previousRole: MemberRole;
}

export interface RemovedMember {
  readonly projectId: string;
  readonly userId: string;
  /** The member's devices revoked with the membership. */
  readonly revokedDevices: number;
}

export interface DeletedProject {
  readonly projectId: string;
  readonly deleted: true;
  readonly revokedDevices: number;
  readonly revokedCertificates: number;
  readonly revokedInvites: number;
  readonly subnet: string;
  /** Until then the subnet stays with the project's users: their devices may still hold its certificates. */
  readonly subnetHeldUntil: string;
}

const projectPath = (projectId: string) => `projects/${encodeURIComponent(projectId)}`;

/** A new invite (owners/admins); its code is in this answer only. */
export function createInvite(supabase: SupabaseClient, projectId: string, options: InviteOptions): Promise<CreatedInvite> {
  const body = { role: options.role, maxUses: options.maxUses, expiresInSeconds: options.expiresInSeconds };
  return invokeNebula(supabase, `${projectPath(projectId)}/invites`, { method: 'POST', body });
}

/**
 * A device-enrollment invite (owners/admins, signed in: the devices it
 * enrolls are theirs, within their device quota). A headless device
 * redeems the code at POST /enroll with the anon key, no account.
 */
export function createDeviceInvite(supabase: SupabaseClient, projectId: string, options: Omit<InviteOptions, 'role'>): Promise<CreatedInvite> {
  const body = { kind: 'device', maxUses: options.maxUses, expiresInSeconds: options.expiresInSeconds };
  return invokeNebula(supabase, `${projectPath(projectId)}/invites`, { method: 'POST', body });
}

/** The project's invites, newest first, never their codes (owners/admins). */
export async function listInvites(supabase: SupabaseClient, projectId: string): Promise<readonly Invite[]> {
  return (await invokeNebula<{ invites: Invite[] }>(supabase, `${projectPath(projectId)}/invites`, { method: 'GET' })).invites;
}

/** The invite's code no longer redeems (owners/admins). Idempotent. */
export async function revokeInvite(supabase: SupabaseClient, projectId: string, inviteId: string): Promise<void> {
  await invokeNebula(supabase, `${projectPath(projectId)}/invites/${encodeURIComponent(inviteId)}`, { method: 'DELETE' });
}

/** Redeems a code as typed or pasted (case, spaces and dashes do not matter): the signed-in user becomes a member. */
export function joinProject(supabase: SupabaseClient, code: string): Promise<JoinedProject> {
  return invokeNebula(supabase, 'join', { method: 'POST', body: { code } });
}

/** The project's members, owners first (any member). */
export async function listMembers(supabase: SupabaseClient, projectId: string): Promise<readonly Member[]> {
  return (await invokeNebula<{ members: Member[] }>(supabase, `${projectPath(projectId)}/members`, { method: 'GET' })).members;
}

/** Changes a member's role (owners/admins; only an owner makes or unmakes an owner; the last owner stays). */
export function setMemberRole(supabase: SupabaseClient, projectId: string, userId: string, role: MemberRole): Promise<RoleChange> {
  return invokeNebula(supabase, `${projectPath(projectId)}/members/${encodeURIComponent(userId)}`, { method: 'PATCH', body: { role } });
}

/** Removes a member (owners/admins, or the member themself); their devices are revoked with the membership. */
export function removeMember(supabase: SupabaseClient, projectId: string, userId: string): Promise<RemovedMember> {
  return invokeNebula(supabase, `${projectPath(projectId)}/members/${encodeURIComponent(userId)}`, { method: 'DELETE' });
}

/**
 * Hands the project to another member: `to` becomes an owner, then the
 * caller (`from`, the signed-in owner's user id) becomes an admin. Two
 * requests, each safe to repeat: if the second fails, the project simply has
 * two owners, and calling again finishes the transfer.
 */
export async function transferOwnership(supabase: SupabaseClient, projectId: string, transfer: { readonly to: string; readonly from: string }): Promise<void> {
  await setMemberRole(supabase, projectId, transfer.to, 'owner');
  await setMemberRole(supabase, projectId, transfer.from, 'admin');
}

/** Deletes the project (its owner), confirmed by its name as the user typed it again. */
export function deleteProject(supabase: SupabaseClient, projectId: string, confirmName: string): Promise<DeletedProject> {
  return invokeNebula(supabase, projectPath(projectId), { method: 'DELETE', body: { confirm: confirmName } });
}
