// POST /nebula/register — the product's front door. Allocate (idempotent per
// device), sign, record the certificate and build the bundle in ONE
// transaction: if anything fails, nothing stays allocated.
import { readJsonBody, RegisterBody } from '../../_shared/http/index.ts';
import type { RequestContext } from '../context.ts';
import { parseDevicePublicKey } from '../ca.ts';
import { issueCertificate, readSigningContext } from '../issuance.ts';
import { callerThenServiceRole, inTransaction, registration } from '../store/index.ts';
import { takeRateTokens } from '../store/quotas.ts';
import { bundleAnswer } from './bundle-answer.ts';
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
    const [{ ip, subnet }, context] = await callerThenServiceRole(
      tx,
      registration(tx, {
        projectId,
        deviceId: body.deviceId,
        name: body.deviceName,
        publicKeyPem: body.publicKey,
        lighthouseEndpoints: body.lighthouse?.endpoints,
        syncthingDeviceId: body.syncthingDeviceId,
      }),
      (tx) => readSigningContext(tx, projectId),
    );
    // Sign, record (with the audit row) and bundle.
    const device = { projectId, deviceId: body.deviceId, name: body.deviceName, publicKey, ip, subnet, isLighthouse: body.lighthouse !== undefined, issuedBy: userId };
    return issueCertificate(ctx.cas, tx, device, context, { alongside: () => ctx.audit.record(tx) });
  });

  // Respond.
  return bundleAnswer(ctx.request, {
    deviceId: body.deviceId,
    ip: registered.ip,
    cidr: registered.cidr,
    fingerprint: registered.certificate.fingerprint,
    notAfter: registered.certificate.notAfter.toISOString(),
  }, registered.bundle.zip);
}
