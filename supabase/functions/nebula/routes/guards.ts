// Who may call what, before any SQL runs. The database (RLS and the checks in
// its security-definer functions) is the authority; these only turn the
// obvious cases into clear errors early.
import { VidsyncError } from '../../_shared/errors.ts';
import type { Caller } from '../../_shared/auth/index.ts';

/** The caller must be a signed-in user (not the anon key, not the service role). */
export function requireUser(caller: Caller, action: string): string {
  if (caller.role === 'service_role') throw new VidsyncError('forbidden', `${action} must be done as a user, not with the service role`);
  if (caller.role !== 'authenticated' || !caller.userId) throw new VidsyncError('unauthorized', `sign in to ${action}`);
  return caller.userId;
}

/** Anyone but anon: users (RLS decides what they see) and the service role. */
export function requireSignedIn(caller: Caller): void {
  if (caller.role === 'anon') throw new VidsyncError('unauthorized', 'sign in first');
}

/** A device asking for its own setup (config, CA, peers) learns it is revoked: 410 device_revoked. */
export function requireNotRevoked(device: { readonly id: string; readonly revokedAt: Date | null }): void {
  if (device.revokedAt) throw new VidsyncError('device_revoked', `device ${device.id} is revoked`);
}

/** As requireNotRevoked, and a released device learns it holds no address: 404 not_found. */
export function requireAddressed<T extends { readonly id: string; readonly revokedAt: Date | null; readonly ip: string | null }>(device: T): asserts device is T & { readonly ip: string } {
  requireNotRevoked(device);
  if (!device.ip) throw new VidsyncError('not_found', `device ${device.id} holds no IP (released); register it again`);
}
