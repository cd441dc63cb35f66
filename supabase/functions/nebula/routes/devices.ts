// Per-device routes: status, a fresh nebula.yml (lighthouses change; the
// certificate does not need re-signing for that), and release.
import { VidsyncError } from '../../_shared/errors.ts';
import { DeviceParams, jsonResponse, validate } from '../../_shared/http/index.ts';
import type { RequestContext } from '../app.ts';
import { actAs, inTransaction } from '../db.ts';
import type { Tx } from '../db.ts';
import { configFor, lighthousesOf } from '../bundles.ts';
import { requireSignedIn } from './guards.ts';

interface DeviceRow {
  id: string;
  project_id: string;
  name: string;
  ip: string | null;
  subnet: string;
  is_lighthouse: boolean;
  last_seen_at: Date | null;
}

export async function deviceStatus(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const deviceId = validate(DeviceParams, ctx.params).deviceId;
  const status = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    const device = await visibleDevice(tx, deviceId);
    const [cert] = await tx<{ fingerprint: string; not_after: Date }[]>`
      select fingerprint, not_after from vidsync.issued_certificates
       where device_id = ${deviceId} and revoked_at is null
       order by not_after desc limit 1`;
    return { device, cert };
  });
  const { device, cert } = status;
  return jsonResponse({
    deviceId: device.id,
    projectId: device.project_id,
    name: device.name,
    ip: device.ip,
    cidr: device.ip ? `${device.ip}/${device.subnet.split('/')[1]}` : null,
    isLighthouse: device.is_lighthouse,
    fingerprint: cert?.fingerprint ?? null,
    notAfter: cert?.not_after.toISOString() ?? null,
    lastSeenAt: device.last_seen_at?.toISOString() ?? null,
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
      projectId: device.project_id,
      ip: device.ip,
      subnet: device.subnet,
      isLighthouse: device.is_lighthouse,
      lighthouses: await lighthousesOf(tx, device.project_id),
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
    await tx`select public.release_nebula_ip(${deviceId}, ${reason})`;
    if (!device.ip) return { device, reusableAfter: null };
    await actAs(tx, 'service_role');
    const [row] = await tx<{ reusable_after: Date }[]>`
      select reusable_after from vidsync.ip_pool where project_id = ${device.project_id} and ip = ${device.ip}::inet`;
    return { device, reusableAfter: row?.reusable_after ?? null };
  });
  return jsonResponse({ deviceId, projectId: released.device.project_id, releasedIp: released.device.ip, reusableAfter: released.reusableAfter?.toISOString() ?? null });
}

async function visibleDevice(tx: Tx, deviceId: string): Promise<DeviceRow> {
  const [device] = await tx<DeviceRow[]>`
    select d.id, d.project_id, d.name, host(d.overlay_ip) as ip, p.subnet::text as subnet,
           d.is_lighthouse, d.last_seen_at
      from vidsync.devices d
      join vidsync.projects p on p.id = d.project_id
     where d.id = ${deviceId}`;
  if (!device) throw new VidsyncError('not_found', `no device ${deviceId}`);
  return device;
}
