// Who is calling: verification of Supabase JWTs, and a local token issuer for
// the dev stack and tests.
export { createJwtVerifier, MAX_TOKEN_CHARS } from './verify.ts';
export type { Caller, CallerRole, JwtVerifier, JwtVerifierOptions } from './verify.ts';
export { createLocalIssuer, DEFAULT_TOKEN_LIFETIME_SECONDS, loadLocalIssuer } from './local-issuer.ts';
export type { LocalIssuer, MintOptions } from './local-issuer.ts';
