// A device's own credential: requests signed with an Ed25519 key the device
// generated (its API key; not its Nebula X25519 key). A user's access token
// lives an hour and belongs to a person; a headless device (a NAS, a server)
// has no person at all, yet must renew, heartbeat and poll its config for
// months. The server stores only the public key.
//
//   Authorization: VidSync-Device device=<uuid>,ts=<unix seconds>,nonce=<16-64 [A-Za-z0-9_-]>,sig=<base64>
//
// The signature covers, one per line:
//   vidsync-device-v1
//   <METHOD>
//   <path and query, as sent>
//   <ts>
//   <nonce>
//   <lowercase hex SHA-256 of the body bytes>
// so a captured signature is good for that one request only: another
// method, path or body does not verify; the timestamp bounds it to ±5
// minutes, and the server remembers nonces for that window (replays are
// refused). Pure: the store looks up the key and the nonces.
import { base64ToBytes, bytesToBase64 } from '../base64.ts';
import { toHex } from '../bytes.ts';
import { VidsyncError } from '../errors.ts';
import { createEd25519Signer, ed25519Verify } from '../nebula-cert/index.ts';

export const DEVICE_AUTH_SCHEME = 'VidSync-Device';
/** How far a signed request's timestamp may be from the server's clock. */
export const SIGNATURE_WINDOW_SECONDS = 300;
const PREFIX = 'vidsync-device-v1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;

export interface DeviceSignature {
  readonly deviceId: string;
  /** Unix seconds. */
  readonly timestamp: number;
  readonly nonce: string;
  readonly signature: Uint8Array;
}

/** True when the header uses the device scheme (else it is a user's Bearer token). */
export function isDeviceAuthorization(header: string | null): boolean {
  return header !== null && header.slice(0, DEVICE_AUTH_SCHEME.length + 1).toLowerCase() === `${DEVICE_AUTH_SCHEME.toLowerCase()} `;
}

/** Parses the header; a malformed one is 401 `signature_invalid`. */
export function parseDeviceAuthorization(header: string): DeviceSignature {
  if (header.length > 1024 || !isDeviceAuthorization(header)) throw invalid('Expected "Authorization: VidSync-Device device=…,ts=…,nonce=…,sig=…".');
  const fields = new Map<string, string>();
  for (const part of header.slice(DEVICE_AUTH_SCHEME.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) throw invalid('A malformed device signature.');
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const deviceId = fields.get('device') ?? '';
  const ts = fields.get('ts') ?? '';
  const nonce = fields.get('nonce') ?? '';
  const signature = base64ToBytes(fields.get('sig') ?? '');
  if (!UUID.test(deviceId) || !/^[0-9]{1,12}$/.test(ts) || !NONCE.test(nonce) || !signature || signature.length !== 64) {
    throw invalid('A malformed device signature.');
  }
  return { deviceId: deviceId.toLowerCase(), timestamp: Number(ts), nonce, signature };
}

/** The bytes a device signs for one request. */
export async function signingInput(method: string, pathAndQuery: string, timestamp: number, nonce: string, body: Uint8Array): Promise<Uint8Array> {
  const digest = toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', body.slice())));
  return new TextEncoder().encode([PREFIX, method.toUpperCase(), pathAndQuery, String(timestamp), nonce, digest].join('\n'));
}

/**
 * Checks the signature against the device's public key and the time window.
 * Order matters for the codes: a bad signature is `signature_invalid` even
 * when it is also old; a genuine but stale one is `signature_expired`.
 */
export async function verifyDeviceSignature(
  sig: DeviceSignature,
  publicKey: Uint8Array,
  request: { method: string; pathAndQuery: string; body: Uint8Array },
  now = Date.now(),
): Promise<void> {
  const input = await signingInput(request.method, request.pathAndQuery, sig.timestamp, sig.nonce, request.body);
  if (!(await ed25519Verify(publicKey, input, sig.signature))) {
    throw invalid('The device signature does not verify for this request.');
  }
  if (Math.abs(now / 1000 - sig.timestamp) > SIGNATURE_WINDOW_SECONDS) {
    throw new VidsyncError('signature_expired', `The signed request's timestamp is more than ${SIGNATURE_WINDOW_SECONDS} s from the server's clock.`);
  }
}

/** The Authorization header for a request, signed with the device's Ed25519 private key (64 bytes: seed + public key). */
export async function signDeviceRequest(
  key: { deviceId: string; privateKey: Uint8Array },
  request: { method: string; pathAndQuery: string; body?: Uint8Array },
  now = Date.now(),
): Promise<string> {
  const timestamp = Math.floor(now / 1000);
  const nonce = bytesToBase64(crypto.getRandomValues(new Uint8Array(18))).replace(/\+/g, '-').replace(/\//g, '_');
  const signer = await createEd25519Signer(key.privateKey);
  const signature = await signer.sign(await signingInput(request.method, request.pathAndQuery, timestamp, nonce, request.body ?? new Uint8Array(0)));
  return `${DEVICE_AUTH_SCHEME} device=${key.deviceId},ts=${timestamp},nonce=${nonce},sig=${bytesToBase64(signature)}`;
}

/**
 * Every `signature_invalid` says the same: a malformed header, an unknown
 * device, one without a key and a wrong signature must not be told apart by
 * anyone without the device's key (the `_message` says which, for reading the code).
 */
export const SIGNATURE_INVALID_MESSAGE = 'The device signature is malformed or does not verify for this request.';

export function invalid(_message: string): VidsyncError {
  return new VidsyncError('signature_invalid', SIGNATURE_INVALID_MESSAGE);
}
