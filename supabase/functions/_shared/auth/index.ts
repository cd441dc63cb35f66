// Who is calling: verification of Supabase JWTs and of secret API keys. (The
// local stack's token issuer lives in scripts/local-functions/: it is never deployed.)
export { createJwtVerifier, MAX_TOKEN_CHARS } from './verify.ts';
export type { Caller, CallerRole, JwtVerifier, JwtVerifierOptions } from './verify.ts';
export { createAuthenticator, SECRET_KEY_PREFIX, SERVICE_CALLER } from './api-keys.ts';
export type { Authenticator, AuthenticatorOptions } from './api-keys.ts';
