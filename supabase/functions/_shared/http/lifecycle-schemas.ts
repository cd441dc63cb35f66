// Request shapes of the device lifecycle routes (renew, heartbeat, revoke,
// the device's API key), checked at the edge like ./schemas.ts.
import { z } from 'zod';
import {
  MAX_PUBLIC_KEY_CHARS,
  MAX_SYNC_FOLDER_ERROR_CHARS,
  MAX_SYNC_FOLDER_ERRORS,
  MAX_SYNC_FOLDER_ID_CHARS,
  MAX_SYNC_FOLDER_LABEL_CHARS,
  MAX_SYNC_FOLDERS,
} from '../limits.ts';
import { isDisplayText, trimDisplayText } from '../display-text.ts';
import { SYNC_FOLDER_STATES } from '../syncthing/index.ts';
import { validate } from './body.ts';
import { ReasonQuery } from './schemas.ts';

/** POST /renew/:deviceId — empty, or a new X25519 public key (key rotation). */
export const RenewBody = z.strictObject({
  publicKey: z.string().min(1).max(MAX_PUBLIC_KEY_CHARS).optional(),
});
export type RenewBody = z.output<typeof RenewBody>;

const Version = z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const displayText = (max: number) =>
  z
    .string()
    .refine((s) => isDisplayText(s, max), `must be display text of at most ${max} characters`)
    .transform(trimDisplayText);

/** One shared folder's sync state, as the agent reads it from Syncthing. */
export const SyncFolderReport = z.strictObject({
  folderId: z.string().max(MAX_SYNC_FOLDER_ID_CHARS).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a folder id (A-Z a-z 0-9 . _ -)'),
  label: displayText(MAX_SYNC_FOLDER_LABEL_CHARS).optional(),
  state: z.enum(SYNC_FOLDER_STATES),
  /** How much of the folder's global state this device has, 0-100. */
  completion: z.number().min(0).max(100),
  /** Files that failed to sync, plus one for a folder error. */
  errors: z.number().int().min(0).max(MAX_SYNC_FOLDER_ERRORS),
  /** The folder's error, when it has one. */
  error: displayText(MAX_SYNC_FOLDER_ERROR_CHARS).optional(),
  needBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
export type SyncFolderReport = z.output<typeof SyncFolderReport>;

/** POST /heartbeat/:deviceId — what the agent knows; everything optional. */
export const HeartbeatBody = z.strictObject({
  nebulaVersion: Version.optional(),
  agentVersion: Version.optional(),
  /** The fingerprint of the certificate nebula runs with. */
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256 fingerprint').optional(),
  /** The device's underlay addresses (host:port or addresses), as it sees them. */
  underlay: z.array(z.string().min(1).max(64).regex(/^[0-9A-Za-z.:[\]%-]+$/, 'must be an address')).max(16).optional(),
  /** Sync state of the folders Syncthing shares, each folder once. Absent: the device reports none. */
  folders: z
    .array(SyncFolderReport)
    .max(MAX_SYNC_FOLDERS)
    .refine((f) => new Set(f.map((x) => x.folderId)).size === f.length, 'each folder once')
    .optional(),
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
