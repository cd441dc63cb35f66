// Who is calling: verification of Supabase JWTs. (The local stack's token
// issuer lives in scripts/local-functions/: it is never deployed.)
export { createJwtVerifier, MAX_TOKEN_CHARS } from './verify.ts';
export type { Caller, CallerRole, JwtVerifier, JwtVerifierOptions } from './verify.ts';
