import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, base64url } from 'jose';
import { createJwtVerifier } from '../../supabase/functions/_shared/auth/verify.ts';
import { createLocalIssuer, loadLocalIssuer } from '../../scripts/local-functions/local-issuer.ts';
import type { LocalIssuer } from '../../scripts/local-functions/local-issuer.ts';
import { codeOf } from '../support/outcomes.ts';

const ISSUER = 'http://127.0.0.1:54321/auth/v1';
const HS_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
const USER = '5b2f3c4d-0000-4000-8000-000000000001';

function hs256(claims: Record<string, unknown>, secret = HS_SECRET, expiresIn: number | string = '1h') {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(ISSUER).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
}

let issuer: LocalIssuer;
let other: LocalIssuer;
beforeAll(async () => {
  issuer = await createLocalIssuer({ issuer: ISSUER, kid: 'local-1' });
  other = await createLocalIssuer({ issuer: ISSUER, kid: 'local-1' }); // same kid, different key
});

describe('createJwtVerifier with a JWKS (ES256)', () => {
  const verifier = () => createJwtVerifier({ jwks: issuer.jwks, issuer: ISSUER });

  it('accepts a user token and returns the caller', async () => {
    const token = await issuer.mint({ sub: USER, email: 'a@example.com' });
    const caller = await verifier()(`Bearer ${token}`);
    expect(caller.userId).toBe(USER);
    expect(caller.role).toBe('authenticated');
    expect(caller.claims).toMatchObject({ sub: USER, email: 'a@example.com', aud: 'authenticated', iss: ISSUER });
  });

  it('accepts the scheme case-insensitively', async () => {
    const token = await issuer.mint({ sub: USER });
    expect((await verifier()(`bearer ${token}`)).userId).toBe(USER);
  });

  it('accepts service-role and anon keys without a subject', async () => {
    const service = await verifier()(`Bearer ${await issuer.mintServiceRoleKey()}`);
    expect(service).toMatchObject({ role: 'service_role', userId: '' });
    const anon = await verifier()(`Bearer ${await issuer.mintAnonKey()}`);
    expect(anon.role).toBe('anon');
  });

  it('refuses a missing or malformed header', async () => {
    expect(await codeOf(verifier()(null))).toBe('unauthorized');
    expect(await codeOf(verifier()(''))).toBe('unauthorized');
    expect(await codeOf(verifier()('Basic dXNlcjpwYXNz'))).toBe('unauthorized');
    expect(await codeOf(verifier()('Bearer not-a-jwt'))).toBe('unauthorized');
    expect(await codeOf(verifier()(`Bearer ${'a'.repeat(10_000)}.b.c`))).toBe('unauthorized');
  });

  it('refuses an expired token', async () => {
    const token = await issuer.mint({ sub: USER, expiresInSeconds: -10 });
    expect(await codeOf(verifier()(`Bearer ${token}`))).toBe('unauthorized');
  });

  it('refuses a forged signature (same kid, other key) and a tampered payload', async () => {
    const forged = await other.mint({ sub: USER });
    expect(await codeOf(verifier()(`Bearer ${forged}`))).toBe('unauthorized');
    const [h, , s] = (await issuer.mint({ sub: USER })).split('.');
    const payload = base64url.encode(JSON.stringify({ sub: USER, role: 'service_role', iss: ISSUER, exp: 9999999999 }));
    expect(await codeOf(verifier()(`Bearer ${h}.${payload}.${s}`))).toBe('unauthorized');
  });

  it('refuses alg: none', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify({ sub: USER, role: 'authenticated', iss: ISSUER, exp: 9999999999 }));
    expect(await codeOf(verifier()(`Bearer ${header}.${payload}.`))).toBe('unauthorized');
  });

  it('refuses the wrong issuer and, when configured, the wrong audience', async () => {
    const elsewhere = await loadLocalIssuer(issuer.privateJwk, 'https://evil.example/auth/v1');
    expect(await codeOf(verifier()(`Bearer ${await elsewhere.mint({ sub: USER })}`))).toBe('unauthorized');
    const strict = createJwtVerifier({ jwks: issuer.jwks, issuer: ISSUER, audience: 'authenticated' });
    expect(await codeOf(strict(`Bearer ${await issuer.mint({ sub: USER })}`))).toBe('no error');
    expect(await codeOf(strict(`Bearer ${await issuer.mintAnonKey()}`))).toBe('unauthorized');
  });

  it('refuses unknown roles and user tokens without a subject', async () => {
    expect(await codeOf(verifier()(`Bearer ${await issuer.mint({ sub: USER, role: 'supabase_admin' })}`))).toBe('unauthorized');
    expect(await codeOf(verifier()(`Bearer ${await issuer.mint({})}`))).toBe('unauthorized');
  });

  it('refuses HS256 tokens when no secret is configured', async () => {
    expect(await codeOf(verifier()(`Bearer ${await hs256({ sub: USER, role: 'authenticated' })}`))).toBe('unauthorized');
  });

  it('refuses an HS256 token signed with the public JWK as secret (algorithm confusion)', async () => {
    const both = createJwtVerifier({ jwks: issuer.jwks, issuer: ISSUER, hs256Secret: HS_SECRET });
    const confused = await hs256({ sub: USER, role: 'authenticated' }, JSON.stringify(issuer.jwks.keys[0]));
    expect(await codeOf(both(`Bearer ${confused}`))).toBe('unauthorized');
  });

  it('survives a reload of the persisted key: old tokens still verify', async () => {
    const token = await issuer.mint({ sub: USER });
    const reloaded = await loadLocalIssuer(JSON.parse(JSON.stringify(issuer.privateJwk)), ISSUER);
    expect(reloaded.kid).toBe('local-1');
    expect(reloaded.jwks).toEqual(issuer.jwks);
    expect(reloaded.jwks.keys[0]).not.toHaveProperty('d');
    const v = createJwtVerifier({ jwks: reloaded.jwks, issuer: ISSUER });
    expect((await v(`Bearer ${token}`)).userId).toBe(USER);
    expect((await v(`Bearer ${await reloaded.mint({ sub: USER })}`)).userId).toBe(USER);
  });
});

describe('createJwtVerifier with the legacy HS256 secret', () => {
  const verifier = () => createJwtVerifier({ hs256Secret: HS_SECRET, issuer: ISSUER });

  it('accepts a token signed with the secret', async () => {
    expect((await verifier()(`Bearer ${await hs256({ sub: USER, role: 'authenticated' })}`)).userId).toBe(USER);
  });

  it('refuses a token signed with another secret, or expired', async () => {
    expect(await codeOf(verifier()(`Bearer ${await hs256({ sub: USER, role: 'authenticated' }, 'x'.repeat(40))}`))).toBe('unauthorized');
    expect(await codeOf(verifier()(`Bearer ${await hs256({ sub: USER, role: 'authenticated' }, HS_SECRET, Math.floor(Date.now() / 1000) - 60)}`))).toBe('unauthorized');
  });

  it('refuses ES256 tokens when only a secret is configured', async () => {
    expect(await codeOf(verifier()(`Bearer ${await issuer.mint({ sub: USER })}`))).toBe('unauthorized');
  });

  it('refuses tokens without exp', async () => {
    const noExp = await new SignJWT({ sub: USER, role: 'authenticated' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).sign(new TextEncoder().encode(HS_SECRET));
    expect(await codeOf(verifier()(`Bearer ${noExp}`))).toBe('unauthorized');
  });

  it('refuses a configuration without keys or with a short secret', () => {
    expect(() => createJwtVerifier({ issuer: ISSUER })).toThrow(expect.objectContaining({ code: 'internal' }));
    expect(() => createJwtVerifier({ issuer: ISSUER, hs256Secret: '' })).toThrow(expect.objectContaining({ code: 'internal' }));
    expect(() => createJwtVerifier({ issuer: ISSUER, hs256Secret: 'short' })).toThrow(expect.objectContaining({ code: 'internal' }));
  });
});

describe('createJwtVerifier with a remote JWKS', () => {
  let url: URL;
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(issuer.jwks));
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/v1/.well-known/jwks.json`);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches the keys once and verifies tokens', async () => {
    const v = createJwtVerifier({ jwks: url, issuer: ISSUER });
    expect((await v(`Bearer ${await issuer.mint({ sub: USER })}`)).userId).toBe(USER);
    expect((await v(`Bearer ${await issuer.mint({ sub: USER })}`)).userId).toBe(USER);
    expect(fetches).toBe(1);
    expect(await codeOf(v(`Bearer ${await other.mint({ sub: USER })}`))).toBe('unauthorized');
  });

  it('reports an unreachable JWKS as internal, not as the caller\'s fault', async () => {
    const v = createJwtVerifier({ jwks: new URL('http://127.0.0.1:1/jwks.json'), issuer: ISSUER });
    expect(await codeOf(v(`Bearer ${await issuer.mint({ sub: USER })}`))).toBe('internal');
  });
});

describe('an inline JWKS (a snapshot) with the remote set behind it', () => {
  let url: URL;
  let published: LocalIssuer[] = [];
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: published.flatMap((i) => i.jwks.keys) }));
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/v1/.well-known/jwks.json`);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('uses the snapshot without fetching; on an unknown kid fetches once, at most once per cooldown, and then accepts the new key', async () => {
    const rotated = await createLocalIssuer({ issuer: ISSUER, kid: 'rotated-in' });
    const later = await createLocalIssuer({ issuer: ISSUER, kid: 'rotated-in-later' });
    published = [issuer, rotated];
    fetches = 0;
    const v = createJwtVerifier({ jwks: issuer.jwks, jwksUrl: url, issuer: ISSUER, jwksRefetchCooldownMs: 300 });

    expect((await v(`Bearer ${await issuer.mint({ sub: USER })}`)).userId).toBe(USER);
    expect(fetches).toBe(0);

    // A key the auth server rotated in after the snapshot: one fetch, accepted.
    expect((await v(`Bearer ${await rotated.mint({ sub: USER })}`)).userId).toBe(USER);
    expect(fetches).toBe(1);

    // Unknown kids in a burst (forged, or not yet published): refused without hammering the auth server.
    published = [issuer, rotated, later];
    for (let i = 0; i < 5; i++) expect(await codeOf(v(`Bearer ${await later.mint({ sub: USER })}`))).toBe('unauthorized');
    expect(fetches).toBe(1);

    // After the cooldown, one more fetch finds it.
    await new Promise((r) => setTimeout(r, 350));
    expect((await v(`Bearer ${await later.mint({ sub: USER })}`)).userId).toBe(USER);
    expect(fetches).toBe(2);
  });

  it('a token whose kid is known but whose signature is wrong is refused without any fetch', async () => {
    published = [issuer];
    fetches = 0;
    const v = createJwtVerifier({ jwks: issuer.jwks, jwksUrl: url, issuer: ISSUER, jwksRefetchCooldownMs: 0 });
    expect(await codeOf(v(`Bearer ${await other.mint({ sub: USER })}`))).toBe('unauthorized');
    expect(fetches).toBe(0);
  });
});
