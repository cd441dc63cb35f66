// Per-device routes: status, a fresh nebula.yml (lighthouses and the
// blocklist change; the certificate does not need re-signing for that), and
// release.
import { DeviceParams, jsonResponse, validate } from '../../_shared/http/index.ts';
import { reasonOf } from '../../_shared/http/lifecycle-schemas.ts';
import type { RequestContext } from '../context.ts';
import { caTrustOf, configFor } from '../bundles.ts';
import { cidrOf } from '../issuance.ts';
import { asServiceRole, blocklistOf, currentCertificate, inTransaction, lighthousesOf, releaseDevice as release, reusableAfter, trustedCas, visibleDevice } from '../store/index.ts';
import { requireAddressed, requireSignedIn } from './guards.ts';
import { inDeviceScope } from './scope.ts';
import { isOnline } from '../presence.ts';
import { taggedResponse } from '../../_shared/http/etag.ts';

export async function deviceStatus(ctx: RequestContext): Promise<Response> {
  const { device, cert } = await inDeviceScope(ctx, async (tx, device) => ({ device, cert: await currentCertificate(tx, device.id) }));
  return jsonResponse({
    deviceId: device.id,
    projectId: device.projectId,
    name: device.name,
    ip: device.ip,
    cidr: device.ip ? cidrOf({ ip: device.ip, subnet: device.subnet }) : null,
    isLighthouse: device.isLighthouse,
    fingerprint: cert?.fingerprint ?? null,
    notAfter: cert?.notAfter.toISOString() ?? null,
    lastSeenAt: device.lastSeenAt?.toISOString() ?? null,
    // Seen within two heartbeat intervals: one lost heartbeat is not "offline".
    online: device.revokedAt === null && isOnline(device.lastSeenAt),
    revokedAt: device.revokedAt?.toISOString() ?? null,
    // Sync state per shared folder, from the last heartbeat that reported it (POST /heartbeat `folders`).
    folders: device.syncFolders,
  });
}

export async function deviceConfig(ctx: RequestContext): Promise<Response> {
  const yaml = await inDeviceScope(ctx, async (tx, device) => {
    requireAddressed(device);
    // The project's lighthouses and revoked certificates: RLS already lets the caller see them.
    const [lighthouses, blocklist] = await Promise.all([lighthousesOf(tx, device.projectId), blocklistOf(tx, device.projectId)]);
    // The trusted CAs (no user reads the CA table): a rotation or retirement changes the text, so the agent learns of it.
    const trust = caTrustOf(await asServiceRole(tx, (tx) => trustedCas(tx, device.projectId)));
    return configFor({ projectId: device.projectId, ip: device.ip, subnet: device.subnet, isLighthouse: device.isLighthouse, lighthouses, blocklist, trust });
  });
  // Agents poll this: the ETag is the text's digest, so an unchanged config costs no body.
  return taggedResponse(ctx.request, yaml, 'application/yaml; charset=utf-8');
}

export async function releaseDevice(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const deviceId = validate(DeviceParams, ctx.params).deviceId;
  // Read before the device: a bad reason is a 400 whoever asks, as before the device is looked up.
  const reason = reasonOf(ctx.url, 'released through the API');
  const released = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    const device = await visibleDevice(tx, deviceId);
    await release(tx, deviceId, reason);
    await ctx.audit.record(tx, { projectId: device.projectId });
    const ip = device.ip;
    if (!ip) return { device, reusableAfter: null };
    return { device, reusableAfter: await asServiceRole(tx, (tx) => reusableAfter(tx, device.projectId, ip)) };
  });
  return jsonResponse({
    deviceId,
    projectId: released.device.projectId,
    releasedIp: released.device.ip,
    reusableAfter: released.reusableAfter?.toISOString() ?? null,
  });
}
