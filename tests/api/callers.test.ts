// Who may call the function on a hosted project, end to end through Deno:
// the new secret API keys (`sb_secret_…` in `apikey`, not JWTs), the legacy
// service-role JWT (HS256, iss "supabase"), anonymous users (refused where
// a real account is needed, unless allowed), and user tokens signed with a
// key the auth server rotated in after the function started (the function
// refetches the JWKS once, rate-limited).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { createLocalIssuer } from '../../scripts/local-functions/local-issuer.ts';
import type { LocalUser } from '../../scripts/local-functions/start.ts';
import { newDeviceKey } from './helpers.ts';

const SECRET_KEY = `sb_secret_${crypto.randomUUID().replaceAll('-', '')}`;
const LEGACY_SECRET = 'legacy-jwt-secret-with-at-least-32-characters!';

let api: ApiHarness;
let dir: string;
let jwksFile: string;
let owner: LocalUser;
let projectId: string;

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidsync-callers-'));
  jwksFile = join(dir, 'jwks.json');
  await writeFile(jwksFile, '{"keys":[]}');
  api = await startApi({
    env: {
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: SECRET_KEY }),
      NEBULA_LEGACY_JWT_SECRET: LEGACY_SECRET,
      // The auth server's published keys, read at each request: the test rotates them.
      LOCAL_JWKS_FILE: jwksFile,
    },
  });
  owner = await api.user('callers-owner');
  const res = await api.fetch('projects', { ...post({ name: 'Callers' }), token: owner.accessToken });
  expect(res.status).toBe(201);
  projectId = ((await res.json()) as { projectId: string }).projectId;
});
afterAll(async () => {
  await api?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('secret API keys and the legacy service-role key', () => {
  it('sb_secret_ in apikey is the service role; a wrong one is 401', async () => {
    const ok = await api.fetch(`ca/${projectId}`, { headers: { apikey: SECRET_KEY } });
    expect(ok.status).toBe(200);
    const wrong = await api.fetch(`ca/${projectId}`, { headers: { apikey: `${SECRET_KEY.slice(0, -1)}${SECRET_KEY.endsWith('x') ? 'y' : 'x'}` } });
    expect([wrong.status, await errorCode(wrong)]).toEqual([401, 'unauthorized']);
  });

  it('with a user token next to it, the user acts (and owns what they create); the service role alone may not create projects', async () => {
    const asUser = await api.fetch('projects', { ...post({ name: 'Via backend' }, { apikey: SECRET_KEY }), token: owner.accessToken });
    expect(asUser.status).toBe(201);
    expect(((await asUser.json()) as { ownerId: string }).ownerId).toBe(owner.id);
    const asService = await api.fetch('projects', post({ name: 'No user' }, { apikey: SECRET_KEY }));
    expect([asService.status, await errorCode(asService)]).toEqual([403, 'forbidden']);
    const [row] = await api.sql`select actor_kind, actor_id, result from vidsync.audit_log where request_id = ${asService.headers.get('x-request-id')!}`;
    expect(row).toEqual({ actor_kind: 'service', actor_id: null, result: 'forbidden' });
  });

  it('the legacy service-role JWT (HS256, iss "supabase") is the service role too', async () => {
    const legacy = await new SignJWT({ role: 'service_role' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('supabase')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(LEGACY_SECRET));
    expect((await api.fetch(`ca/${projectId}`, { token: legacy })).status).toBe(200);
    const forged = await new SignJWT({ role: 'service_role' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('supabase')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(`${LEGACY_SECRET}-not`));
    expect((await api.fetch(`ca/${projectId}`, { token: forged })).status).toBe(401);
  });
});

describe('anonymous users (is_anonymous: true)', () => {
  it('may not create projects or register devices: 403 anonymous_not_allowed, logged', async () => {
    const anonymous = await api.user('anonymous');
    const token = await api.functions.mint({ sub: anonymous.id, extraClaims: { is_anonymous: true } });
    const create = await api.fetch('projects', { ...post({ name: 'Anonymous' }), token });
    expect([create.status, await errorCode(create)]).toEqual([403, 'anonymous_not_allowed']);
    const key = await newDeviceKey();
    const register = await api.fetch('register', {
      ...post({ projectId, deviceId: crypto.randomUUID(), deviceName: 'anon', publicKey: key.publicKeyPem }),
      token,
    });
    expect([register.status, await errorCode(register)]).toEqual([403, 'anonymous_not_allowed']);
    const rows = await api.sql`select action, result, project_id from vidsync.audit_log where actor_id = ${anonymous.id} order by id`;
    expect(rows).toEqual([
      { action: 'project.create', result: 'anonymous_not_allowed', project_id: null },
      { action: 'device.register', result: 'anonymous_not_allowed', project_id: projectId },
    ]);
    // is_anonymous: false is an ordinary user.
    const real = await api.fetch('projects', { ...post({ name: 'Signed up' }), token: await api.functions.mint({ sub: anonymous.id, extraClaims: { is_anonymous: false } }) });
    expect(real.status).toBe(201);
  });

  it('may, where NEBULA_ALLOW_ANONYMOUS_USERS is true', async () => {
    const allowing = await startApi({ env: { NEBULA_ALLOW_ANONYMOUS_USERS: 'true' } });
    try {
      const anonymous = await allowing.user('anonymous-allowed');
      const token = await allowing.functions.mint({ sub: anonymous.id, extraClaims: { is_anonymous: true } });
      expect((await allowing.fetch('projects', { ...post({ name: 'Allowed' }), token })).status).toBe(201);
    } finally {
      await allowing.stop();
    }
  });
});

describe('a signing key rotated in after the function started', () => {
  it('is fetched on its first unknown kid; a second new kid right after is refused until the cooldown passes', async () => {
    const issuerUrl = `${api.functions.supabaseUrl}/auth/v1`;
    const rotated = await createLocalIssuer({ issuer: issuerUrl, kid: 'rotated-in' });
    const later = await createLocalIssuer({ issuer: issuerUrl, kid: 'rotated-in-later' });

    await writeFile(jwksFile, JSON.stringify({ keys: rotated.jwks.keys }));
    const ok = await api.fetch('projects', { ...post({ name: 'Rotated key' }), token: await rotated.mint({ sub: owner.id }) });
    expect(ok.status).toBe(201);

    // Published now, but the function fetched moments ago: it does not fetch again for every unknown kid.
    await writeFile(jwksFile, JSON.stringify({ keys: [...rotated.jwks.keys, ...later.jwks.keys] }));
    const tooSoon = await api.fetch('projects', { ...post({ name: 'Too soon' }), token: await later.mint({ sub: owner.id }) });
    expect([tooSoon.status, await errorCode(tooSoon)]).toEqual([401, 'unauthorized']);
  });
});
