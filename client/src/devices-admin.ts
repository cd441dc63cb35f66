// What a project's owners and admins do to its devices from a web page (the
// dashboard) or any other browser-side code: revoke, release, pin an
// address, and read the audit log. Browser-safe: supabase-js and fetch only.
// The device's own lifecycle (register, renew, install) stays in
// NebulaClient, which needs the device's files and keys.
import type { SupabaseClient } from '@supabase/supabase-js';
import { invokeNebula } from './invoke.ts';

export interface RevokedDevice {
  readonly deviceId: string;
  readonly projectId: string;
  /** Certificates put on the project's blocklist by this call. */
  readonly revokedCertificates: number;
  /** The address it held, now cooling; null when it held none. */
  readonly releasedIp: string | null;
}

export interface ReleasedDevice {
  readonly deviceId: string;
  readonly projectId: string;
  readonly releasedIp: string | null;
  /** When the address may be handed out again. */
  readonly reusableAfter: string | null;
}

export interface PinnedAddress {
  readonly deviceId: string;
  readonly ip: string;
  readonly previousIp: string | null;
  readonly cidr: string;
  readonly fingerprint: string;
  readonly notAfter: string;
  /** The certificate for the new address, as a base64 zip bundle (the device also gets it at its next renewal). */
  readonly bundle: string;
}

export interface AuditEntry {
  /** The row's id: pass the last one's as `before` for older rows. */
  readonly id: string;
  readonly at: string;
  /** "device.revoke", "member.join", … */
  readonly action: string;
  /** "ok", or the error code the caller got. */
  readonly result: string;
  readonly httpStatus: number;
  readonly actor: { readonly kind: 'user' | 'device' | 'service' | 'anonymous'; readonly id: string | null };
  readonly deviceId: string | null;
  readonly sourceIp: string | null;
  readonly requestId: string;
}

export interface AuditPage {
  readonly projectId: string;
  readonly entries: readonly AuditEntry[];
  /** The `before` of the next (older) page; null on the last. */
  readonly nextBefore: string | null;
}

export interface AuditQuery {
  /** Rows older than this entry id (a page's `nextBefore`). */
  readonly before?: string | null;
  /** 1–500, default 50. */
  readonly limit?: number;
  /** Only this action's rows. */
  readonly action?: string | null;
  /** Only this device's rows. */
  readonly deviceId?: string | null;
}

/**
 * Revokes a device: its certificates go on the blocklist, its address cools,
 * and it may never renew or register again. Owners/admins, or the device's
 * owner. Idempotent. Errors are VidsyncErrors with the server's code.
 */
export function revokeDevice(supabase: SupabaseClient, deviceId: string, reason?: string): Promise<RevokedDevice> {
  return invokeNebula(supabase, `revoke/${encodeURIComponent(deviceId)}${reasonQuery(reason)}`, { method: 'POST' });
}

/** Releases a device's address (it cools before reuse) and revokes its still-valid certificates. */
export function releaseDevice(supabase: SupabaseClient, deviceId: string, reason?: string): Promise<ReleasedDevice> {
  return invokeNebula(supabase, `release/${encodeURIComponent(deviceId)}${reasonQuery(reason)}`, { method: 'POST' });
}

/** Moves a device to a free address of the project's subnet and signs a certificate for it (owners/admins). */
export function pinDeviceAddress(supabase: SupabaseClient, deviceId: string, ip: string): Promise<PinnedAddress> {
  return invokeNebula(supabase, `devices/${encodeURIComponent(deviceId)}/address`, { method: 'POST', body: { ip } });
}

/** A page of a project's audit log, newest first (owners/admins). */
export function listAudit(supabase: SupabaseClient, projectId: string, query: AuditQuery = {}): Promise<AuditPage> {
  const params = new URLSearchParams();
  if (query.before) params.set('before', query.before);
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  if (query.action) params.set('action', query.action);
  if (query.deviceId) params.set('deviceId', query.deviceId);
  const search = params.toString() === '' ? '' : `?${params}`;
  return invokeNebula(supabase, `audit/${encodeURIComponent(projectId)}${search}`, { method: 'GET' });
}

function reasonQuery(reason: string | undefined): string {
  return reason ? `?reason=${encodeURIComponent(reason)}` : '';
}
