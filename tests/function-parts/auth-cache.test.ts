// The verifier remembers tokens it has verified; it must never serve one past
// its expiry, and the remembered entry is for that exact token only.
import { describe, expect, it } from 'vitest';
import { createJwtVerifier } from '../../supabase/functions/_shared/auth/index.ts';
import { createLocalIssuer } from '../../scripts/local-functions/local-issuer.ts';
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';

const ISSUER = 'http://127.0.0.1:54321/auth/v1';

describe('verified-token cache', () => {
  it('refuses a token once it expires, although it was accepted (and remembered) before', async () => {
    const issuer = await createLocalIssuer({ issuer: ISSUER });
    const verify = createJwtVerifier({ issuer: ISSUER, jwks: issuer.jwks });
    const token = await issuer.mint({ sub: crypto.randomUUID(), expiresInSeconds: 2 });
    expect((await verify(`Bearer ${token}`)).role).toBe('authenticated');
    expect((await verify(`Bearer ${token}`)).role).toBe('authenticated');
    // exp has whole-second resolution: wait past it.
    await new Promise((resolve) => setTimeout(resolve, 3100));
    const refused = await verify(`Bearer ${token}`).then(() => undefined, (e: unknown) => e);
    expect(isVidsyncError(refused, 'unauthorized')).toBe(true);
  });

  it('does not let a remembered token vouch for one with another signature', async () => {
    const issuer = await createLocalIssuer({ issuer: ISSUER });
    const forger = await createLocalIssuer({ issuer: ISSUER, kid: issuer.kid });
    const verify = createJwtVerifier({ issuer: ISSUER, jwks: issuer.jwks });
    const sub = crypto.randomUUID();
    await verify(`Bearer ${await issuer.mint({ sub })}`);
    const forged = await forger.mint({ sub });
    const refused = await verify(`Bearer ${forged}`).then(() => undefined, (e: unknown) => e);
    expect(isVidsyncError(refused, 'unauthorized')).toBe(true);
  });
});

describe('RSA signing keys', () => {
  it('accepts RS256 tokens through the JWKS, as projects with RSA signing keys issue them', async () => {
    const { exportJWK, generateKeyPair, SignJWT } = await import('jose');
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'rsa-1', alg: 'RS256' };
    const verify = createJwtVerifier({ issuer: ISSUER, jwks: { keys: [jwk] } });
    const sub = crypto.randomUUID();
    const token = await new SignJWT({ role: 'authenticated', aud: 'authenticated' })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setSubject(sub)
      .setIssuer(ISSUER)
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await verify(`Bearer ${token}`)).userId).toBe(sub);
  });
});
