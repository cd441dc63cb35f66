// The device lifecycle: renew a certificate (same IP and name, optionally a
// new key), revoke a device (its certificates go on the project's blocklist),
// heartbeats (last seen, what the agent runs), and the device's own API key.
// Each reads validate -> store -> sign -> bundle -> respond, in one transaction.
import { HEARTBEAT_INTERVAL_SECONDS } from '../presence.ts';
import { VidsyncError } from '../../_shared/errors.ts';
import { DeviceParams, jsonResponse, readJsonBody, validate } from '../../_shared/http/index.ts';
import { DeviceCredentialBody, HeartbeatBody, reasonOf, RenewBody } from '../../_shared/http/lifecycle-schemas.ts';
import type { z } from 'zod';
import type { RequestContext } from '../context.ts';
import type { Tx } from '../store/index.ts';
import { parseDevicePublicKey } from '../ca.ts';
import { bundleAround, cidrOf, issueCertificate, readSigningContext } from '../issuance.ts';
import type { Issued } from '../issuance.ts';
import { asServiceRole, endWith, inTransaction, prepareRenewal, recentRenewal, recordHeartbeat, revokeDevice as revoke, setDeviceApiKey } from '../store/index.ts';
import { bundleAnswer } from './bundle-answer.ts';
import { requireSignedIn } from './guards.ts';
import { inAuditedTransaction } from './scope.ts';

/**
 * Heartbeats closer together than this are acknowledged but not written,
 * unless a folder's sync state or error count changed: "syncing" -> "idle"
 * should reach the dashboard at once, a moving percentage can wait
 * (vidsync_api.device_heartbeat, migration 20251130110000).
 */
export const HEARTBEAT_MIN_INTERVAL_SECONDS = 10;
/** A renewal retried within this window gets the same certificate back (shorter for short-lived certificates: a sixth of the lifetime). */
export const RENEWAL_IDEMPOTENCY_SECONDS = 60;

/** POST /renew/:deviceId — a fresh certificate for the same IP and name; the bundle as register gives it. */
export async function renewDevice(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const deviceId = validate(DeviceParams, ctx.params).deviceId;
  const body = await readOptionalJsonBody(ctx.request, RenewBody);
  // A new key is checked before any SQL runs.
  if (body.publicKey !== undefined) parseDevicePublicKey(body.publicKey);

  const renewed = await inTransaction(ctx.sql, ctx.caller, (tx) => signForCurrentAddress(ctx, tx, deviceId, body.publicKey ?? null));
  return bundleAnswer(ctx.request, {
    deviceId,
    ip: renewed.ip,
    cidr: renewed.cidr,
    fingerprint: renewed.certificate.fingerprint,
    notAfter: renewed.certificate.notAfter.toISOString(),
  }, renewed.bundle.zip);
}

/**
 * Within the caller's transaction: the checks of a renewal (prepare_renewal, as the caller) and a certificate
 * for the device's current address and name, with its bundle (a retry within the idempotency window gets the
 * same certificate). Used by renewal and by POST /devices/:id/address (a pinned device's new address).
 */
export async function signForCurrentAddress(ctx: RequestContext, tx: Tx, deviceId: string, publicKey: string | null): Promise<Issued> {
  // As the caller: may they renew this device (VS020 when revoked or released)? Rotates the key if asked.
  const target = await prepareRenewal(tx, deviceId, publicKey);
  const device = {
    projectId: target.projectId,
    deviceId,
    name: target.name,
    publicKey: parseDevicePublicKey(target.publicKeyPem),
    ip: target.ip,
    subnet: target.subnet,
    isLighthouse: target.isLighthouse,
    issuedBy: ctx.caller.role === 'authenticated' ? ctx.caller.userId || null : null,
  };
  return asServiceRole(tx, async (tx) => {
    const [recent, context] = await Promise.all([
      recentRenewal(tx, deviceId, target.ip, Math.min(RENEWAL_IDEMPOTENCY_SECONDS, Math.floor(ctx.settings.hostCertLifetimeSeconds / 6))),
      readSigningContext(tx, target.projectId),
    ]);
    // The request's audit row is written in this transaction, the last write, with the certificate's.
    // A retry (lost answer, agent restarted mid-renewal) gets the same certificate.
    if (recent) {
      endWith(tx, ctx.audit.record(tx));
      return { ip: target.ip, cidr: cidrOf(target), certificate: recent, bundle: bundleAround(device, context, recent) };
    }
    // Signed by the database's clock under the device's lock (prepare_renewal holds it), as a racing release stamps its cooling.
    return issueCertificate(ctx.cas, tx, device, context, { keepPem: true, alongside: () => ctx.audit.record(tx) });
  });
}

/** POST /revoke/:deviceId?reason=… — the device's certificates go on the blocklist; the IP is released. */
export async function revokeDevice(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const deviceId = validate(DeviceParams, ctx.params).deviceId;
  const reason = reasonOf(ctx.url, 'revoked through the API');
  const revocation = await inAuditedTransaction(ctx, {}, (tx) => revoke(tx, deviceId, reason));
  return jsonResponse({
    deviceId,
    projectId: revocation.projectId,
    revokedCertificates: revocation.revokedCertificates,
    releasedIp: revocation.releasedIp,
  });
}

/** POST /heartbeat/:deviceId — the device is alive; what it runs; its folders' sync state. One statement. */
export async function deviceHeartbeat(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const deviceId = validate(DeviceParams, ctx.params).deviceId;
  const body = await readOptionalJsonBody(ctx.request, HeartbeatBody);
  const beat = await inTransaction(ctx.sql, ctx.caller, (tx) => recordHeartbeat(tx, deviceId, body, HEARTBEAT_MIN_INTERVAL_SECONDS));
  return jsonResponse({
    deviceId,
    lastSeenAt: beat.lastSeenAt.toISOString(),
    recorded: beat.recorded,
    intervalSeconds: HEARTBEAT_INTERVAL_SECONDS,
  });
}

/** POST /credential/:deviceId — sets the device's Ed25519 API key (user session only: a device cannot change its own). */
export async function setDeviceCredential(ctx: RequestContext): Promise<Response> {
  if (ctx.caller.role !== 'authenticated' && ctx.caller.role !== 'service_role') throw new VidsyncError('unauthorized', 'sign in first');
  if (ctx.caller.claims.vidsync_device_id !== undefined) throw new VidsyncError('forbidden', 'a device cannot replace its own credential');
  const deviceId = validate(DeviceParams, ctx.params).deviceId;
  const body = await readJsonBody(ctx.request, DeviceCredentialBody);
  await inAuditedTransaction(ctx, {}, (tx) => setDeviceApiKey(tx, deviceId, body.apiKey));
  return jsonResponse({ deviceId, apiKey: body.apiKey });
}

/** Like readJsonBody, but an absent body is `{}` (a renewal or heartbeat may send nothing). */
async function readOptionalJsonBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  const length = request.headers.get('content-length');
  if (request.body === null || length === '0') return validate(schema, {});
  return readJsonBody(request, schema);
}
