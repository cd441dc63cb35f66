// An address chosen by an owner or admin:
//   POST /devices/:deviceId/address  { ip }   project owner/admin, service role
// The device moves to that free address of its project's pool (the SQL decides:
// vidsync_api.pin_device_address), its old address cools, and a certificate for
// the new address is signed in the same transaction; the answer is renewal's
// (the bundle, or the raw zip) plus `previousIp`. The device's agent picks the
// new address up at its next renewal if it does not install this bundle.
import { DeviceParams, readJsonBody, validate } from '../../_shared/http/index.ts';
import { PinAddressBody } from '../../_shared/http/address-schemas.ts';
import type { RequestContext } from '../context.ts';
import { inTransaction, pinDeviceAddress as pin } from '../store/index.ts';
import { bundleAnswer } from './bundle-answer.ts';
import { requireSignedIn } from './guards.ts';
import { signForCurrentAddress } from './lifecycle.ts';

export async function pinDeviceAddress(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const deviceId = validate(DeviceParams, ctx.params).deviceId;
  const body = await readJsonBody(ctx.request, PinAddressBody);
  const { pinned, signed } = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    const pinned = await pin(tx, deviceId, body.ip);
    return { pinned, signed: await signForCurrentAddress(ctx, tx, deviceId, null) };
  });
  return bundleAnswer(ctx.request, {
    deviceId,
    ip: signed.ip,
    previousIp: pinned.previousIp,
    cidr: signed.cidr,
    fingerprint: signed.certificate.fingerprint,
    notAfter: signed.certificate.notAfter.toISOString(),
  }, signed.bundle.zip);
}
