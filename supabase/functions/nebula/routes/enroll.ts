// POST /nebula/enroll {code, deviceId, deviceName, publicKey, apiKey} — a
// headless device joins with a device-enrollment invite, without a user
// account (the anon key is enough: the code is the credential). In one
// transaction, as the service role: the invite is redeemed (one use, under
// its row lock) and the device registered for the invite's creator with its
// API key (vidsync_api.enroll_device), then its certificate is signed and
// recorded and the bundle built, as POST /register does. The answer is
// register's plus the project id; from then on the device signs its own
// requests. Every answer waits for the same floor as POST /join, so codes
// cannot be told apart by time.
import { readJsonBody } from '../../_shared/http/index.ts';
import { EnrollBody } from '../../_shared/http/enroll-schemas.ts';
import type { Caller } from '../../_shared/auth/index.ts';
import type { RequestContext } from '../context.ts';
import { parseDevicePublicKey } from '../ca.ts';
import { issueCertificate, readSigningContext } from '../issuance.ts';
import { inTransaction } from '../store/index.ts';
import { enrollWithInvite } from '../store/invites.ts';
import { Lane } from '../lane.ts';
import { bundleAnswer } from './bundle-answer.ts';
import { inviteCodeHash, JOIN_ANSWER_FLOOR_MS, waitUntil } from './invites.ts';

/** Who the transaction runs as: no user is calling, and the SQL checks the code itself. */
const SERVICE: Caller = { userId: '', role: 'service_role', claims: { role: 'service_role' } };

/**
 * Enrollments come from callers without an identity, whom tenants.ts cannot
 * tell apart or give each a share of the pool; so they all share one lane
 * per instance (lane.ts). Enrolling is rare and takes milliseconds.
 */
const enrollments = new Lane();

export async function enrollDevice(ctx: RequestContext): Promise<Response> {
  const started = performance.now();
  try {
    const body = await readJsonBody(ctx.request, EnrollBody);
    const publicKey = parseDevicePublicKey(body.publicKey);
    const hash = await inviteCodeHash(body.code);
    const enrolled = await enrollments.run(() => inTransaction(ctx.sql, SERVICE, async (tx) => {
      const { projectId, ownerId, ip, subnet } = await enrollWithInvite(tx, hash, {
        deviceId: body.deviceId,
        name: body.deviceName,
        publicKeyPem: body.publicKey,
        apiKey: body.apiKey,
      });
      const context = await readSigningContext(tx, projectId);
      // The row names the device as the actor: the caller has no account (anon), it proved the code for this device.
      ctx.audit.caller = { userId: '', role: 'anon', claims: { role: 'anon', vidsync_device_id: body.deviceId } };
      const device = { projectId, deviceId: body.deviceId, name: body.deviceName, publicKey, ip, subnet, isLighthouse: false, issuedBy: ownerId };
      const issued = await issueCertificate(ctx.cas, tx, device, context, { alongside: () => ctx.audit.record(tx, { projectId, deviceId: body.deviceId }, 201) });
      return { projectId, ...issued };
    }));
    return bundleAnswer(ctx.request, {
      projectId: enrolled.projectId,
      deviceId: body.deviceId,
      ip: enrolled.ip,
      cidr: enrolled.cidr,
      fingerprint: enrolled.certificate.fingerprint,
      notAfter: enrolled.certificate.notAfter.toISOString(),
    }, enrolled.bundle.zip, 201);
  } finally {
    await waitUntil(started + JOIN_ANSWER_FLOOR_MS);
  }
}
