// Verifies the caller's Supabase JWT inside the function: the only check, as
// the gateway's verify_jwt cannot verify tokens of asymmetric signing keys.
// Current Supabase projects sign with ES256 (or RS256) keys published as a
// JWKS; older ones share an HS256 secret, accepted only when one is configured. `alg: none` and every other
// algorithm are refused because jose checks the header's `alg` against the
// allow-list before it looks for a key.
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';
import { VidsyncError } from '../errors.ts';

export type CallerRole = 'authenticated' | 'service_role' | 'anon';

export interface Caller {
  /** The `sub` claim: the Supabase user id. '' for anon and service-role keys, which have none. */
  userId: string;
  role: CallerRole;
  /** The verified claims, for `request.jwt.claims` in Postgres. */
  claims: Record<string, unknown>;
}

export interface JwtVerifierOptions {
  /** The project's public keys, or the URL of its JWKS (`…/auth/v1/.well-known/jwks.json`). */
  jwks?: JSONWebKeySet | URL;
  /**
   * With an inline `jwks` (a snapshot, like SUPABASE_JWKS at worker start):
   * where to refetch the keys when a token names a `kid` the snapshot lacks
   * (the project rotated its signing key since). At most one fetch per
   * `jwksRefetchCooldownMs`, so forged `kid`s cannot make us hammer the auth server.
   */
  jwksUrl?: URL;
  /** Minimum time between two fetches of the remote JWKS (default 30 s). */
  jwksRefetchCooldownMs?: number;
  /** The legacy shared secret; HS256 tokens are refused unless this is set. */
  hs256Secret?: string;
  /** Expected `iss`; a list when user tokens and API keys differ (`…/auth/v1` vs `supabase`). */
  issuer: string | string[];
  /** Expected `aud`, e.g. 'authenticated'. Unset: not checked (API keys carry none). */
  audience?: string | string[];
  /** Clock skew allowed on exp/nbf/iat, in seconds (default 0). */
  clockToleranceSeconds?: number;
}

export type JwtVerifier = (authorizationHeader: string | null) => Promise<Caller>;

/** A real token is well under 2 KiB; parsing megabytes of header is pure cost. */
export const MAX_TOKEN_CHARS = 8 * 1024;

/**
 * Asymmetric algorithms Supabase Auth signs with (JWT signing keys: ECC P-256
 * is the default, RSA the alternative). Never `none`, never HS256 through a JWKS.
 */
const JWKS_ALGORITHMS = ['ES256', 'RS256'];

/** A fetched JWKS is used this long before it is fetched again (Supabase's edge caches it about as long). */
const REMOTE_JWKS_MAX_AGE_MS = 10 * 60_000;
const REMOTE_JWKS_COOLDOWN_MS = 30_000;

/** Verified tokens remembered, and for how long at most. */
const VERIFIED_CACHE_ENTRIES = 1024;
const VERIFIED_CACHE_MS = 60_000;

const ROLES: readonly CallerRole[] = ['authenticated', 'service_role', 'anon'];

export function createJwtVerifier(opts: JwtVerifierOptions): JwtVerifier {
  // An empty secret (an unset env var) means "no HS256", not "sign with ''".
  const hs256Secret = opts.hs256Secret === '' ? undefined : opts.hs256Secret;
  if (!opts.jwks && !hs256Secret) {
    throw new VidsyncError('internal', 'JWT verification needs a JWKS or an HS256 secret.');
  }
  if (hs256Secret !== undefined && hs256Secret.length < 32) {
    // Supabase's legacy secrets are at least 32 characters; a short one is a misconfiguration.
    throw new VidsyncError('internal', 'The HS256 secret is too short (need at least 32 characters).');
  }
  const remote = (url: URL) =>
    createRemoteJWKSet(url, { cacheMaxAge: REMOTE_JWKS_MAX_AGE_MS, cooldownDuration: opts.jwksRefetchCooldownMs ?? REMOTE_JWKS_COOLDOWN_MS });
  const jwks: JWTVerifyGetKey | undefined = opts.jwks === undefined
    ? undefined
    : opts.jwks instanceof URL
    ? remote(opts.jwks)
    : withRefetch(createLocalJWKSet(opts.jwks), opts.jwksUrl && remote(opts.jwksUrl));
  const secret = hs256Secret === undefined ? undefined : new TextEncoder().encode(hs256Secret);

  const algorithms = [...(jwks ? JWKS_ALGORITHMS : []), ...(secret ? ['HS256'] : [])];
  const getKey: JWTVerifyGetKey = (header, token) => {
    if (header.alg === 'HS256' && secret) return secret;
    if (jwks && (JWKS_ALGORITHMS as readonly string[]).includes(header.alg ?? '')) return jwks(header, token);
    throw new errors.JOSEAlgNotAllowed('algorithm not allowed');
  };

  // A client sends the same token with every call; verifying one ES256
  // signature costs about a third of a millisecond, a map lookup nothing. An
  // entry lives until the token expires, at most a minute (a JWKS key rotated
  // out stops working within that minute).
  const verified = new Map<string, { caller: Caller; until: number }>();

  return async (authorizationHeader) => {
    const token = bearerToken(authorizationHeader);
    const now = Date.now();
    const hit = verified.get(token);
    if (hit && now < hit.until) return hit.caller;
    if (hit) verified.delete(token);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        algorithms,
        issuer: opts.issuer,
        audience: opts.audience,
        clockTolerance: opts.clockToleranceSeconds ?? 0,
        requiredClaims: ['exp'],
      }));
    } catch (e) {
      throw fromJoseError(e);
    }
    const caller = callerOf(payload);
    if (verified.size >= VERIFIED_CACHE_ENTRIES) verified.delete(verified.keys().next().value!);
    verified.set(token, { caller, until: Math.min((payload.exp ?? 0) * 1000, now + VERIFIED_CACHE_MS) });
    return caller;
  };
}

/**
 * The snapshot first; on a `kid` it lacks, the remote set. jose's remote set
 * fetches on first use, again when its copy is older than cacheMaxAge, and on
 * a `kid` it lacks only once the cooldown since its last fetch has passed.
 */
function withRefetch(local: JWTVerifyGetKey, remote: JWTVerifyGetKey | undefined): JWTVerifyGetKey {
  if (!remote) return local;
  return async (header, token) => {
    try {
      return await local(header, token);
    } catch (e) {
      if (!(e instanceof errors.JWKSNoMatchingKey)) throw e;
      return remote(header, token);
    }
  };
}

function bearerToken(header: string | null): string {
  if (!header) throw unauthorized('Missing Authorization header.');
  const m = /^Bearer[ ]+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)[ ]*$/i.exec(header);
  if (header.length > MAX_TOKEN_CHARS || !m) throw unauthorized('Expected "Authorization: Bearer <JWT>".');
  return m[1]!;
}

function callerOf(payload: JWTPayload): Caller {
  const role = payload.role;
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    throw unauthorized('The token has no usable role.');
  }
  const sub = typeof payload.sub === 'string' ? payload.sub : '';
  if (role === 'authenticated' && sub === '') throw unauthorized('The token has no subject.');
  return { userId: sub, role: role as CallerRole, claims: { ...payload } };
}

function fromJoseError(e: unknown): VidsyncError {
  if (e instanceof errors.JWTExpired) return unauthorized('The token has expired.', e);
  // A JWKS we cannot fetch is our outage, not the caller's fault.
  if (e instanceof errors.JWKSTimeout || !(e instanceof errors.JOSEError)) {
    return new VidsyncError('internal', 'Could not verify the token.', { cause: e });
  }
  return unauthorized('The token is invalid.', e);
}

function unauthorized(message: string, cause?: unknown): VidsyncError {
  return new VidsyncError('unauthorized', message, cause === undefined ? undefined : { cause });
}
