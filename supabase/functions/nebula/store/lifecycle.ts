// The device lifecycle's queries: revocation and the project's blocklist,
// renewal, heartbeats, and the device's own API key (credential lookup and
// replay protection). Who may do what is decided in SQL
// (vidsync_api.revoke_device, prepare_renewal, device_heartbeat, set_device_api_key).
import type { HeartbeatInfo } from '../../_shared/api-types.ts';
import { VidsyncError } from '../../_shared/errors.ts';
import type { Tx } from './transaction.ts';

/**
 * Fingerprints of the project's revoked certificates that have not expired:
 * nebula's pki.blocklist. Members read them under RLS; so does the service role.
 */
export async function blocklistOf(tx: Tx, projectId: string): Promise<string[]> {
  const rows = await tx<{ fingerprint: string }[]>`
    select fingerprint from vidsync.issued_certificates
     where project_id = ${projectId} and revoked_at is not null and not_after > now()
     order by fingerprint`;
  return rows.map((r) => r.fingerprint);
}

export interface Revocation {
  readonly projectId: string;
  readonly revokedCertificates: number;
  readonly releasedIp: string | null;
}

/** Revokes the device: certificates on the blocklist, address released, no renewal. Idempotent. */
export async function revokeDevice(tx: Tx, deviceId: string, reason: string): Promise<Revocation> {
  const [row] = await tx<{ project_id: string; revoked_certificates: number; released_ip: string | null }[]>`
    select project_id, revoked_certificates, host(released_ip) as released_ip from vidsync_api.revoke_device(${deviceId}, ${reason})`;
  return { projectId: row!.project_id, revokedCertificates: row!.revoked_certificates, releasedIp: row!.released_ip };
}

export interface RenewalTarget {
  readonly projectId: string;
  readonly name: string;
  readonly ip: string;
  readonly subnet: string;
  readonly isLighthouse: boolean;
  /** The key the new certificate is for (the new one after a rotation). */
  readonly publicKeyPem: string;
}

/** Checks the caller may renew (VS020 when revoked or released) and applies a key rotation. */
export async function prepareRenewal(tx: Tx, deviceId: string, publicKeyPem: string | null): Promise<RenewalTarget> {
  const [row] = await tx<{ project_id: string; name: string; ip: string; subnet: string; is_lighthouse: boolean; device_public_key: string }[]>`
    select project_id, name, host(ip) as ip, subnet::text as subnet, is_lighthouse, device_public_key
      from vidsync_api.prepare_renewal(${deviceId}, ${publicKeyPem})`;
  return { projectId: row!.project_id, name: row!.name, ip: row!.ip, subnet: row!.subnet, isLighthouse: row!.is_lighthouse, publicKeyPem: row!.device_public_key };
}

/**
 * A certificate renewed for the device (at `ip`) less than `windowSeconds` ago and
 * still valid, with its PEM: a retried renewal gets it again instead of a
 * new one. service_role.
 */
export async function recentRenewal(
  tx: Tx,
  deviceId: string,
  ip: string,
  windowSeconds: number,
): Promise<{ fingerprint: string; pem: string; notBefore: Date; notAfter: Date } | null> {
  // For the device's current address only: after a pin (POST /devices/:id/address) a certificate of the old one is not it.
  // And by the signing CA only: after a rotation (POST /ca/:id/rotate) the device renews onto the new CA at once.
  const [row] = await tx<{ fingerprint: string; certificate_pem: string; not_before: Date; not_after: Date }[]>`
    select fingerprint, certificate_pem, not_before, not_after from vidsync.issued_certificates
     where device_id = ${deviceId} and ip = ${ip}::inet and revoked_at is null and certificate_pem is not null
       and issued_at > now() - make_interval(secs => ${windowSeconds}) and not_after > now()
       and ca_fingerprint in (select c.fingerprint from vidsync.project_cas c where c.active)
     order by issued_at desc limit 1`;
  return row ? { fingerprint: row.fingerprint, pem: row.certificate_pem, notBefore: row.not_before, notAfter: row.not_after } : null;
}


/** Records a heartbeat: one statement. Returns when the device was last seen and whether this one was written. */
export async function recordHeartbeat(tx: Tx, deviceId: string, info: HeartbeatInfo, minIntervalSeconds: number): Promise<{ lastSeenAt: Date; recorded: boolean }> {
  const [row] = await tx<{ last_seen_at: Date; recorded: boolean }[]>`
    select last_seen_at, recorded from vidsync_api.device_heartbeat(${deviceId}, ${JSON.stringify(info)}::text::jsonb, make_interval(secs => ${minIntervalSeconds}))`;
  return { lastSeenAt: row!.last_seen_at, recorded: row!.recorded };
}

/** Sets (or with null clears) the device's Ed25519 API key, base64 of 32 bytes. */
export async function setDeviceApiKey(tx: Tx, deviceId: string, apiPublicKey: string | null): Promise<void> {
  await tx`select vidsync_api.set_device_api_key(${deviceId}, ${apiPublicKey})`;
}

/** What authenticating a signed device request needs. service_role: before any caller is known. */
export async function deviceCredential(tx: Tx, deviceId: string): Promise<{ apiPublicKey: string | null; usable: boolean } | null> {
  const [row] = await tx<{ api_public_key: string | null; usable: boolean }[]>`
    select api_public_key, (revoked_at is null and overlay_ip is not null) as usable from vidsync.devices where id = ${deviceId}`;
  return row ? { apiPublicKey: row.api_public_key, usable: row.usable } : null;
}

/**
 * Remembers a signed request's nonce; a nonce seen before within the window
 * is a replay (401 `signature_replayed`). Old nonces go in the same statement.
 */
export async function rememberNonce(tx: Tx, deviceId: string, nonce: string, windowSeconds: number): Promise<void> {
  const [row] = await tx<{ fresh: boolean }[]>`
    with expired as (
      delete from vidsync.device_request_nonces where seen_at < now() - make_interval(secs => ${windowSeconds * 2})
    ), inserted as (
      insert into vidsync.device_request_nonces (device_id, nonce) values (${deviceId}, ${nonce})
      on conflict do nothing returning 1
    )
    select exists (select 1 from inserted) as fresh`;
  if (!row!.fresh) throw new VidsyncError('signature_replayed', 'This signed request was already used; sign each request anew.');
}

export interface PinnedAddress {
  readonly projectId: string;
  readonly ip: string;
  readonly previousIp: string;
}

/** Moves a live device to a chosen free address of its pool (owners/admins; VS040–VS043 as vidsync_api.pin_device_address says). */
export async function pinDeviceAddress(tx: Tx, deviceId: string, ip: string): Promise<PinnedAddress> {
  const [row] = await tx<{ project_id: string; pinned_ip: string; previous_ip: string }[]>`
    select project_id, host(pinned_ip) as pinned_ip, host(previous_ip) as previous_ip
      from vidsync_api.pin_device_address(${deviceId}, ${ip}::inet)`;
  return { projectId: row!.project_id, ip: row!.pinned_ip, previousIp: row!.previous_ip };
}
