// Service callers with Supabase's new secret API keys (`sb_secret_…`). They
// are not JWTs: there is nothing to verify but equality with one of the
// project's keys (SUPABASE_SECRET_KEYS), compared in constant time so the
// time an answer takes says nothing about how much of a guess was right.
import { VidsyncError } from '../errors.ts';
import type { Caller, JwtVerifier } from './verify.ts';

/** The prefix of Supabase's secret API keys. */
export const SECRET_KEY_PREFIX = 'sb_secret_';

/** The service role as a caller: no user, no claims but the role. */
export const SERVICE_CALLER: Caller = Object.freeze({ userId: '', role: 'service_role', claims: Object.freeze({ role: 'service_role' }) }) as Caller;

/** Who is calling, from a request's headers. */
export type Authenticator = (headers: Headers) => Promise<Caller>;

export interface AuthenticatorOptions {
  /** Verifies `Authorization: Bearer <JWT>` (a user's session, or a legacy anon/service-role key). */
  verifyJwt: JwtVerifier;
  /** The project's secret API keys; empty: `sb_secret_…` keys are refused. */
  secretKeys: readonly string[];
}

/**
 * - `apikey: sb_secret_…` must be one of the project's secret keys (else
 *   401). With it, a Bearer JWT still names who acts (a backend acting for a
 *   signed-in user, as supabase-js sends it); without one the caller is the
 *   service role.
 * - Otherwise the Bearer JWT decides (`apikey` then holds a publishable or
 *   legacy anon key, which grants nothing).
 */
export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const digests = Promise.all(opts.secretKeys.map(sha256));
  return async (headers) => {
    const apikey = headers.get('apikey');
    const authorization = headers.get('authorization');
    if (apikey !== null && apikey.startsWith(SECRET_KEY_PREFIX)) {
      if (!(await matchesAny(apikey, await digests))) {
        throw new VidsyncError('unauthorized', 'The secret API key is not one of this project\'s keys.');
      }
      return authorization !== null && looksLikeJwt(authorization) ? opts.verifyJwt(authorization) : SERVICE_CALLER;
    }
    return opts.verifyJwt(authorization);
  };
}

function looksLikeJwt(authorization: string): boolean {
  return /^Bearer[ ]+[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*[ ]*$/i.test(authorization);
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/**
 * Compares fixed-length digests byte by byte without an early exit, against
 * every key: the time depends on the number of keys only.
 */
async function matchesAny(candidate: string, keyDigests: readonly Uint8Array[]): Promise<boolean> {
  const digest = await sha256(candidate);
  let found = 0;
  for (const key of keyDigests) {
    let diff = 0;
    for (let i = 0; i < digest.length; i++) diff |= digest[i]! ^ key[i]!;
    found |= diff === 0 ? 1 : 0;
  }
  return found === 1;
}
