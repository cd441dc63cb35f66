// Request shapes of device-enrollment invites, checked at the edge like
// ./people-schemas.ts, from the same parts: a device invite has the bounds of
// a member invite and no role; POST /enroll takes a code as POST /join does
// and a device as POST /register and POST /credential do.
import { z } from 'zod';
import { CreateInviteBody, JoinBody } from './people-schemas.ts';
import { DeviceCredentialBody } from './lifecycle-schemas.ts';
import { RegisterBody } from './schemas.ts';

/** POST /projects/:projectId/invites with `kind: 'device'`. */
export const CreateDeviceInviteBody = z.strictObject({
  kind: z.literal('device'),
  maxUses: CreateInviteBody.shape.maxUses,
  expiresInSeconds: CreateInviteBody.shape.expiresInSeconds,
});
export type CreateDeviceInviteBody = z.output<typeof CreateDeviceInviteBody>;

/**
 * POST /projects/:projectId/invites: a member invite (`kind` absent or 'member') or a device invite.
 * Told apart by `kind`, so a refusal names the fields of the kind meant (a plain union named none).
 */
export const AnyInviteBody = z.discriminatedUnion('kind', [CreateInviteBody.extend({ kind: z.literal('member').optional() }), CreateDeviceInviteBody]);
export type AnyInviteBody = z.output<typeof AnyInviteBody>;

/** POST /enroll — a device invite's code, and the device: its id, name, X25519 public key and Ed25519 API key. */
export const EnrollBody = z.strictObject({
  code: JoinBody.shape.code,
  deviceId: RegisterBody.shape.deviceId,
  deviceName: RegisterBody.shape.deviceName,
  publicKey: RegisterBody.shape.publicKey,
  apiKey: DeviceCredentialBody.shape.apiKey.unwrap(),
});
export type EnrollBody = z.output<typeof EnrollBody>;
