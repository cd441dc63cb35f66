// Request shapes of the device lifecycle routes (renew, heartbeat, revoke,
// the device's API key), checked at the edge like ./schemas.ts.
import { z } from 'zod';
import { MAX_PUBLIC_KEY_CHARS } from '../limits.ts';
import { validate } from './body.ts';
import { ReasonQuery } from './schemas.ts';

/** POST /renew/:deviceId — empty, or a new X25519 public key (key rotation). */
export const RenewBody = z.strictObject({
  publicKey: z.string().min(1).max(MAX_PUBLIC_KEY_CHARS).optional(),
});
export type RenewBody = z.output<typeof RenewBody>;

const Version = z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** POST /heartbeat/:deviceId — what the agent knows; everything optional. */
export const HeartbeatBody = z.strictObject({
  nebulaVersion: Version.optional(),
  agentVersion: Version.optional(),
  /** The fingerprint of the certificate nebula runs with. */
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256 fingerprint').optional(),
  /** The device's underlay addresses (host:port or addresses), as it sees them. */
  underlay: z.array(z.string().min(1).max(64).regex(/^[0-9A-Za-z.:[\]%-]+$/, 'must be an address')).max(16).optional(),
});
export type HeartbeatBody = z.output<typeof HeartbeatBody>;

/** POST /credential/:deviceId — the device's Ed25519 API public key, raw 32 bytes in base64 (null clears it). */
export const DeviceCredentialBody = z.strictObject({
  apiKey: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64').nullable(),
});
export type DeviceCredentialBody = z.output<typeof DeviceCredentialBody>;

/**
 * `?reason=` of revoke and release: display text of at most 200 characters
 * (ReasonQuery; 400 otherwise: a NUL once reached Postgres and answered 500).
 * Absent or empty, `fallback`.
 */
export function reasonOf(url: URL, fallback: string): string {
  return validate(ReasonQuery, { reason: url.searchParams.get('reason') || undefined }).reason ?? fallback;
}
