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
