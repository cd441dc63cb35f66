// POST /nebula/register — the product's front door. Allocate (idempotent per
// device), sign, record the certificate and build the bundle in ONE
// transaction: if anything fails, nothing stays allocated.
import { bytesResponse, bytesToBase64, jsonResponse, readJsonBody, RegisterBody, wantsRawBundle } from '../../_shared/http/index.ts';
import type { RequestContext } from '../app.ts';
import { actAs, inTransaction } from '../db.ts';
import { parseDevicePublicKey, signDeviceCertificate } from '../signing.ts';
import { bundleFor } from '../bundles.ts';
import { loadRegistrationContext } from '../registration-context.ts';
import { requireUser } from './guards.ts';

/** How far back a new certificate's NotBefore reaches, for devices whose clock runs a little late. */
const CLOCK_SKEW_SECONDS = 300;

export async function registerDevice(ctx: RequestContext): Promise<Response> {
  const userId = requireUser(ctx.caller, 'register a device');
  const body = await readJsonBody(ctx.request, RegisterBody);
  // The key is checked before any SQL runs: a bad key never reaches the allocator.
  const publicKey = parseDevicePublicKey(body.publicKey);
  const endpoints = body.lighthouse?.endpoints ?? [];

  const registered = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    const [allocation] = await tx<{ device_id: string; ip: string; subnet: string }[]>`
      select device_id, host(ip) as ip, subnet::text as subnet
        from public.register_device(
          ${body.projectId}, ${body.deviceId}, ${body.deviceName}, ${body.publicKey},
          ${body.lighthouse !== undefined}, ${endpoints}::text[], ${body.syncthingDeviceId ?? null})`;
    const { ip, subnet } = allocation!;
    const prefix = Number(subnet.split('/')[1]);

    await actAs(tx, 'service_role');
    const context = await loadRegistrationContext(tx, body.projectId);
    const ca = await ctx.cas.open(body.projectId, context.signing);
    // A released IP cools down for the settings' interval before reuse; no
    // certificate may outlive that, or an old holder's certificate could
    // still be valid when a new device gets the IP.
    const lifetimeSeconds = Math.min(ctx.settings.hostCertLifetimeSeconds, context.coolingSeconds);
    const now = Date.now();
    const certificate = await signDeviceCertificate(ca, {
      name: body.deviceName,
      publicKey,
      ip: `${ip}/${prefix}`,
      notBefore: new Date(Math.max(now - CLOCK_SKEW_SECONDS * 1000, ca.notBefore.getTime())),
      notAfter: new Date(Math.min(now + lifetimeSeconds * 1000, ca.notAfter.getTime() - 1000)),
    });
    await tx`
      insert into vidsync.issued_certificates
        (fingerprint, project_id, device_id, ca_fingerprint, ip, not_before, not_after, issued_by)
      values
        (${certificate.fingerprint}, ${body.projectId}, ${body.deviceId}, ${ca.fingerprint}, ${ip}::inet,
         ${certificate.notBefore}, ${certificate.notAfter}, ${userId})
      -- Signing is deterministic: the same device registering twice within a
      -- second gets the very same certificate, already recorded.
      on conflict (fingerprint) do nothing`;

    const bundle = bundleFor({
      projectId: body.projectId,
      deviceName: body.deviceName,
      ip,
      subnet,
      isLighthouse: body.lighthouse !== undefined,
      lighthouses: context.lighthouses,
      caPems: context.trusted.map((c) => c.certificatePem),
      certificatePem: certificate.pem,
      notAfter: certificate.notAfter,
    });
    return { ip, cidr: `${ip}/${prefix}`, certificate, bundle };
  });

  const meta = {
    deviceId: body.deviceId,
    ip: registered.ip,
    cidr: registered.cidr,
    fingerprint: registered.certificate.fingerprint,
    notAfter: registered.certificate.notAfter.toISOString(),
  };
  if (wantsRawBundle(ctx.request)) {
    const response = bytesResponse(registered.bundle.zip, `nebula-${body.deviceId}.zip`);
    // The metadata travels in a header when the body is the zip itself.
    response.headers.set('x-vidsync-device', JSON.stringify(meta));
    return response;
  }
  return jsonResponse({ ...meta, bundle: bytesToBase64(registered.bundle.zip) });
}
