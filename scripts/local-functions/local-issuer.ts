// A stand-in for Supabase Auth's token signing, for the local dev stack and
// tests: an ES256 key pair (WebCrypto), its public JWKS, and tokens with the
// claims Supabase puts in them. The dev stack persists `privateJwk` under
// `.local/` and reloads it with `loadLocalIssuer` to mint tokens later.
// Never used in a deployed function: there Supabase Auth issues the tokens.
import { calculateJwkThumbprint, exportJWK, importJWK, SignJWT } from 'jose';
import type { JSONWebKeySet, JWK } from 'jose';
import type { CallerRole } from '../../supabase/functions/_shared/auth/index.ts';

export interface MintOptions {
  /** The user id; omit for API-key-like tokens (anon, service_role). */
  sub?: string;
  email?: string;
  /** Default 'authenticated'. Any string, so tests can mint roles the verifier refuses. */
  role?: CallerRole | (string & {});
  /** Default: one hour, like Supabase's default JWT expiry. */
  expiresInSeconds?: number;
  /** More claims, e.g. `{ is_anonymous: true }` as Supabase's anonymous sign-ins carry. */
  extraClaims?: Record<string, unknown>;
}

export interface LocalIssuer {
  issuer: string;
  kid: string;
  /** Publish this (e.g. at `/auth/v1/.well-known/jwks.json`) or pass it to the verifier. */
  jwks: JSONWebKeySet;
  /** The signing key, to persist in `.local/` (never in the repository). */
  privateJwk: JWK;
  /** A user's access token (role and aud 'authenticated'), or with `role` an API-key-like token. */
  mint(opts: MintOptions): Promise<string>;
  /** Like the legacy anon key: `role: anon`, no subject, long-lived. */
  mintAnonKey(): Promise<string>;
  /** Like the legacy service-role key: `role: service_role`, no subject, long-lived. */
  mintServiceRoleKey(): Promise<string>;
}

export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;
/** API keys live for years, as Supabase's do; ten years here. */
const API_KEY_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;

/** Generates a fresh ES256 key pair. */
export async function createLocalIssuer(opts: { issuer: string; kid?: string }): Promise<LocalIssuer> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const privateJwk = await exportJWK(pair.privateKey);
  privateJwk.kid = opts.kid ?? (await calculateJwkThumbprint(privateJwk));
  return loadLocalIssuer(privateJwk, opts.issuer);
}

/** Rebuilds an issuer from a persisted private JWK (its `kid` is kept). */
export async function loadLocalIssuer(privateJwk: JWK, issuer: string): Promise<LocalIssuer> {
  if (privateJwk.kty !== 'EC' || privateJwk.crv !== 'P-256' || typeof privateJwk.d !== 'string') {
    throw new Error('loadLocalIssuer needs a private P-256 JWK');
  }
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(privateJwk));
  const { d: _private, key_ops: _ops, ext: _ext, ...publicPart } = privateJwk;
  const publicJwk: JWK = { ...publicPart, kid, alg: 'ES256', use: 'sig' };
  const signingKey = await importJWK({ ...privateJwk, kid, alg: 'ES256' }, 'ES256');

  const sign = (claims: Record<string, unknown>, lifetimeSeconds: number): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + lifetimeSeconds)
      .sign(signingKey);
  };

  return {
    issuer,
    kid,
    jwks: { keys: [publicJwk] },
    privateJwk: { ...privateJwk, kid },
    mint: ({ sub, email, role = 'authenticated', expiresInSeconds = DEFAULT_TOKEN_LIFETIME_SECONDS, extraClaims }) => {
      const claims: Record<string, unknown> = { ...extraClaims, role };
      if (sub !== undefined) claims.sub = sub;
      // Supabase sets aud on user sessions only; its API keys carry none.
      if (role === 'authenticated') claims.aud = 'authenticated';
      if (email !== undefined) claims.email = email;
      return sign(claims, expiresInSeconds);
    },
    mintAnonKey: () => sign({ role: 'anon' }, API_KEY_LIFETIME_SECONDS),
    mintServiceRoleKey: () => sign({ role: 'service_role' }, API_KEY_LIFETIME_SECONDS),
  };
}
