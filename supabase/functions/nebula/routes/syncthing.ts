// Syncthing over the overlay: a device tells the cloud its Syncthing device
// ID, and asks who its peers are (the project's other live devices, with
// the overlay address to dial and the Syncthing ID to expect there).
//   PUT /devices/:deviceId/syncthing  { deviceId }   owner of the device, project owner/admin, service role, the device itself (signed)
//   GET /peers/:deviceId                             members, service role, the device itself (signed); ETag / 304
import { DeviceParams, jsonResponse, readJsonBody, validate } from '../../_shared/http/index.ts';
import { taggedResponse } from '../../_shared/http/etag.ts';
import { SetSyncthingBody } from '../../_shared/http/syncthing-schemas.ts';
import type { RequestContext } from '../context.ts';
import { inTransaction, peerSelf, peersOf, setSyncthingDeviceId as store } from '../store/index.ts';
import { requireAddressed, requireSignedIn } from './guards.ts';
import { inAuditedTransaction } from './scope.ts';
import { isOnline } from '../presence.ts';

export async function setSyncthingDeviceId(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const deviceId = validate(DeviceParams, ctx.params).deviceId;
  const body = await readJsonBody(ctx.request, SetSyncthingBody);
  await inAuditedTransaction(ctx, {}, async (tx) => {
    // Outside the project the device does not exist (404), as on every device route; inside, the SQL decides (403).
    await peerSelf(tx, deviceId);
    await store(tx, deviceId, body.deviceId);
  });
  return jsonResponse({ deviceId, syncthingDeviceId: body.deviceId });
}

export async function devicePeers(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const deviceId = validate(DeviceParams, ctx.params).deviceId;
  const now = Date.now();
  const { self, peers } = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    const self = await peerSelf(tx, deviceId);
    // As GET /config answers: a revoked device learns it is revoked (410), a released one that it holds no address.
    requireAddressed(self);
    return { self, peers: await peersOf(tx, self.projectId, deviceId) };
  });
  // lastSeenAt itself is left out on purpose: it moves with every heartbeat
  // of every peer, and the ETag would change each minute for nothing. Only
  // what a Syncthing configuration depends on, and the online state, count.
  const text = JSON.stringify({
    deviceId: self.id,
    projectId: self.projectId,
    ip: self.ip,
    subnet: self.subnet,
    syncthingDeviceId: self.syncthingDeviceId,
    peers: peers.map((p) => ({
      deviceId: p.id,
      name: p.name,
      ip: p.ip,
      syncthingDeviceId: p.syncthingDeviceId,
      isLighthouse: p.isLighthouse,
      online: isOnline(p.lastSeenAt, now),
    })),
  });
  return taggedResponse(ctx.request, text, 'application/json; charset=utf-8');
}
