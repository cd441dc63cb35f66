// POST /nebula/register — the product's front door. Allocate (idempotent per
// device), sign, record the certificate and build the bundle in ONE
// transaction: if anything fails, nothing stays allocated.
import { bytesResponse, bytesToBase64, jsonResponse, readJsonBody, RegisterBody, wantsRawBundle } from '../../_shared/http/index.ts';
import type { RequestContext } from '../context.ts';
import { parseDevicePublicKey } from '../ca.ts';
import { bundleFor } from '../bundles.ts';
import {
  blocklistOf,
  callerThenServiceRole,
  inTransaction,
  lighthousesOf,
  recordIssuedCertificate,
  registration,
  signingCa,
  signingClock,
  trustedCas,
} from '../store/index.ts';
import { takeRateTokens } from '../store/quotas.ts';
import { requireUser } from './guards.ts';

export async function registerDevice(ctx: RequestContext): Promise<Response> {
  // Validate: the key is checked before any SQL runs, so a bad key never reaches the allocator.
  const userId = requireUser(ctx.caller, 'register a device');
  const body = await readJsonBody(ctx.request, RegisterBody);
  const publicKey = parseDevicePublicKey(body.publicKey);
  const projectId = body.projectId;
  ctx.audit.about({ projectId, deviceId: body.deviceId });
  // The user's and the project's registration buckets, in one statement
  // (app.ts leaves this route's tokens to it: the project is in the body).
  await takeRateTokens(ctx.sql, ctx.caller, 'register', projectId);

  const registered = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    // Store: allocate as the user, the SQL functions deciding whether they may
    // (quotas first); behind that, in the same round trip, what signing needs,
    // as service_role (no user may read a CA row). Nothing of it runs unless
    // the registration passed.
    const [{ ip, subnet }, [sealed, trusted, lighthouses, clock, blocklist]] = await callerThenServiceRole(
      tx,
      registration(tx, {
        projectId,
        deviceId: body.deviceId,
        name: body.deviceName,
        publicKeyPem: body.publicKey,
        lighthouseEndpoints: body.lighthouse?.endpoints,
        syncthingDeviceId: body.syncthingDeviceId,
      }),
      (tx) =>
        Promise.all([
          signingCa(tx, projectId),
          trustedCas(tx, projectId),
          lighthousesOf(tx, projectId),
          signingClock(tx),
          // Revoked certificates, including this device's previous one when its key changed.
          blocklistOf(tx, projectId),
        ]),
    );
    const cidr = `${ip}/${subnet.split('/')[1]}`;

    // Sign, by the database's clock: the one a concurrent release of this device stamps reusable_after with.
    const ca = await ctx.cas.open(projectId, sealed);
    const certificate = await ctx.cas.issue(ca, { name: body.deviceName, publicKey, ip: cidr }, clock.coolingSeconds, clock.now.getTime());

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
    // Record the certificate and the audit row together (service_role: no user writes an issued certificate).
    await Promise.all([
      recordIssuedCertificate(tx, {
        fingerprint: certificate.fingerprint,
        projectId,
        deviceId: body.deviceId,
        caFingerprint: ca.fingerprint,
        ip,
        notBefore: certificate.notBefore,
        notAfter: certificate.notAfter,
        issuedBy: userId,
      }),
      ctx.audit.record(tx),
    ]);
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
