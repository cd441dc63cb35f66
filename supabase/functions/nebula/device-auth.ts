// Callers that are devices: a request signed with the device's own Ed25519
// API key (see ../_shared/auth/device-signature.ts) instead of a user's JWT.
// Accepted only on the device-scoped routes, for the device named in the
// path. Refusals are distinct, so an agent knows what to do:
//   401 signature_invalid   malformed, unknown device or key, wrong bytes (altered body): one message for all
//   401 signature_expired   timestamp more than 5 minutes off (only once the signature verified)
//   401 signature_replayed  the same signed request seen before
//   403 device_mismatch     signed by another device than the path names
//   403 credential_revoked  the device is revoked or released: its key is refused at once (told only to a good signature)
// The verified device acts as the service role, scoped by the route to its
// own device id (claims.vidsync_device_id).
import type { Sql } from 'postgres';
import type { Caller } from '../_shared/auth/index.ts';
import { invalid, parseDeviceAuthorization, SIGNATURE_WINDOW_SECONDS, verifyDeviceSignature } from '../_shared/auth/device-signature.ts';
import { base64ToBytes } from '../_shared/base64.ts';
import { VidsyncError } from '../_shared/errors.ts';
import { readCapped } from '../_shared/http/body.ts';
import { Lane } from './lane.ts';
import { deviceCredential, inTransaction, rememberNonce } from './store/index.ts';

/** Routes a device may call for itself, below the function's path. */
const DEVICE_ROUTES = /^\/nebula\/(?:(?:renew|heartbeat|config|status|peers)\/([^/]+)|devices\/([^/]+)\/syncthing|config\/([^/]+)\/ca)$/;
const MAX_SIGNED_BODY_BYTES = 64 * 1024;
/** Verified against when the device has no key: a valid point (RFC 8032's first test key); a match still ends in 401. */
const DUMMY_PUBLIC_KEY = Uint8Array.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'.match(/../g)!, (h) => parseInt(h, 16));
const SERVICE: Caller = { userId: '', role: 'service_role', claims: { role: 'service_role' } };
/**
 * Until its signature is checked against the key in the database, a request
 * is nobody's: its lookups share one lane (lane.ts), so made-up device ids
 * with bogus signatures hold one connection, not the pool other tenants need.
 */
const unverified = new Lane();

export async function deviceCaller(sql: Sql, request: Request): Promise<Caller> {
  const sig = parseDeviceAuthorization(request.headers.get('authorization') ?? '');
  const url = new URL(request.url);
  const route = DEVICE_ROUTES.exec(url.pathname);
  if (!route) throw new VidsyncError('unauthorized', 'this route needs a user session, not a device signature');
  if ((route[1] ?? route[2] ?? route[3])!.toLowerCase() !== sig.deviceId) {
    throw new VidsyncError('device_mismatch', 'the request is signed by another device than the one it names');
  }
  // The body is read from a copy (the route reads the original), with a hard cap as it streams in
  // (a chunked body has no Content-Length to check first), not at all when it says it is too large.
  const body = await readCapped(request.clone(), MAX_SIGNED_BODY_BYTES).catch(async (error) => {
    await request.body?.cancel().catch(() => {}); // both halves cancelled: the connection's body is dropped
    throw error;
  });

  return unverified.run(() => inTransaction(sql, SERVICE, async (tx) => {
    // The signature is checked first, against a dummy key when the device is unknown or has none,
    // so that only the device's own key learns whether it exists, has a key or is revoked.
    const credential = await deviceCredential(tx, sig.deviceId);
    const publicKey = credential?.apiPublicKey ? base64ToBytes(credential.apiPublicKey) : undefined;
    await verifyDeviceSignature(sig, publicKey ?? DUMMY_PUBLIC_KEY, { method: request.method, pathAndQuery: url.pathname + url.search, body });
    if (!credential || !publicKey) throw invalid('this device has no API key');
    if (!credential.usable) throw new VidsyncError('credential_revoked', 'the device is revoked or released: its credential is refused');
    await rememberNonce(tx, sig.deviceId, sig.nonce, SIGNATURE_WINDOW_SECONDS);
    return { userId: '', role: 'service_role', claims: { role: 'service_role', vidsync_device_id: sig.deviceId } } satisfies Caller;
  }));
}
