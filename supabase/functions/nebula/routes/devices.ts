// Per-device routes: status, a fresh nebula.yml (lighthouses change; the
// certificate does not need re-signing for that), and release.
import { VidsyncError } from '../../_shared/errors.ts';
import { DeviceParams, jsonResponse, validate } from '../../_shared/http/index.ts';
import type { RequestContext } from '../context.ts';
import { configFor } from '../bundles.ts';
import { asServiceRole, currentCertificate, inTransaction, lighthousesOf, releaseDevice as release, reusableAfter, visibleDevice } from '../store/index.ts';
import { requireSignedIn } from './guards.ts';

export async function deviceStatus(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const deviceId = validate(DeviceParams, ctx.params).deviceId;
  const { device, cert } = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    const device = await visibleDevice(tx, deviceId);
    return { device, cert: await currentCertificate(tx, deviceId) };
  });
  return jsonResponse({
    deviceId: device.id,
    projectId: device.projectId,
    name: device.name,
    ip: device.ip,
    cidr: device.ip ? `${device.ip}/${device.subnet.split('/')[1]}` : null,
    isLighthouse: device.isLighthouse,
    fingerprint: cert?.fingerprint ?? null,
    notAfter: cert?.notAfter.toISOString() ?? null,
    lastSeenAt: device.lastSeenAt?.toISOString() ?? null,
  });
}

export async function deviceConfig(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const deviceId = validate(DeviceParams, ctx.params).deviceId;
  const yaml = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    const device = await visibleDevice(tx, deviceId);
    if (!device.ip) throw new VidsyncError('not_found', `device ${deviceId} holds no IP (released); register it again`);
    // The project's lighthouses are devices of the project: RLS already lets the caller see them.
    return configFor({
      projectId: device.projectId,
      ip: device.ip,
      subnet: device.subnet,
      isLighthouse: device.isLighthouse,
      lighthouses: await lighthousesOf(tx, device.projectId),
    });
  });
  return new Response(yaml, { status: 200, headers: { 'content-type': 'application/yaml; charset=utf-8' } });
}

export async function releaseDevice(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const deviceId = validate(DeviceParams, ctx.params).deviceId;
  const reason = ctx.url.searchParams.get('reason')?.slice(0, 200) || 'released through the API';
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
