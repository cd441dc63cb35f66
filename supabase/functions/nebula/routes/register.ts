// POST /nebula/register — the product's front door. Allocate (idempotent per
// device), sign, record the certificate and build the bundle in ONE
// transaction: if anything fails, nothing stays allocated.
import { bytesResponse, bytesToBase64, jsonResponse, readJsonBody, RegisterBody, wantsRawBundle } from '../../_shared/http/index.ts';
import type { RequestContext } from '../context.ts';
import { parseDevicePublicKey } from '../ca.ts';
import { bundleFor } from '../bundles.ts';
import {
  asServiceRole,
  blocklistOf,
  inTransaction,
  lighthousesOf,
  recordIssuedCertificate,
  registerDevice as register,
  signingCa,
  signingClock,
  trustedCas,
} from '../store/index.ts';
import { checkDeviceQuota, takeProjectRateToken } from '../store/quotas.ts';
import { requireUser } from './guards.ts';

export async function registerDevice(ctx: RequestContext): Promise<Response> {
  // Validate: the key is checked before any SQL runs, so a bad key never reaches the allocator.
  const userId = requireUser(ctx.caller, 'register a device');
  const body = await readJsonBody(ctx.request, RegisterBody);
  const publicKey = parseDevicePublicKey(body.publicKey);
  const projectId = body.projectId;
  ctx.audit.about({ projectId, deviceId: body.deviceId });
  // The project's registration bucket (the user's was taken for every route in app.ts).
  await takeProjectRateToken(ctx.sql, ctx.caller, 'register', projectId);

  const registered = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    // Store: allocate as the user; the SQL functions decide whether they may (quotas first).
    await checkDeviceQuota(tx, projectId, body.deviceId);
    const { ip, subnet } = await register(tx, {
      projectId,
      deviceId: body.deviceId,
      name: body.deviceName,
      publicKeyPem: body.publicKey,
      lighthouseEndpoints: body.lighthouse?.endpoints,
      syncthingDeviceId: body.syncthingDeviceId,
    });
    const cidr = `${ip}/${subnet.split('/')[1]}`;

    // Only once that has passed: read what signing needs, sign and record the
    // certificate, as service_role (no user may read a CA row or write an issued certificate).
    const { certificate, trusted, lighthouses, blocklist } = await asServiceRole(tx, async (tx) => {
      const [sealed, trusted, lighthouses, clock, blocklist] = await Promise.all([
        signingCa(tx, projectId),
        trustedCas(tx, projectId),
        lighthousesOf(tx, projectId),
        signingClock(tx),
        // Revoked certificates, including this device's previous one when its key changed.
        blocklistOf(tx, projectId),
      ]);
      // Sign, by the database's clock: the one a concurrent release of this device stamps reusable_after with.
      const ca = await ctx.cas.open(projectId, sealed);
      const certificate = await ctx.cas.issue(ca, { name: body.deviceName, publicKey, ip: cidr }, clock.coolingSeconds, clock.now.getTime());
      await recordIssuedCertificate(tx, {
        fingerprint: certificate.fingerprint,
        projectId,
        deviceId: body.deviceId,
        caFingerprint: ca.fingerprint,
        ip,
        notBefore: certificate.notBefore,
        notAfter: certificate.notAfter,
        issuedBy: userId,
      });
      return { certificate, trusted, lighthouses, blocklist };
    });

    // Bundle.
    const bundle = bundleFor({
      projectId,
      deviceName: body.deviceName,
      ip,
      subnet,
      isLighthouse: body.lighthouse !== undefined,
      lighthouses,
      blocklist,
      caPems: trusted.map((c) => c.certificatePem),
      certificatePem: certificate.pem,
      notAfter: certificate.notAfter,
    });
    await ctx.audit.record(tx);
    return { ip, cidr, certificate, bundle };
  });

  // Respond.
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
