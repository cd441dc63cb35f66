// Who may do what: anon, a non-member, a member, an admin, the owner and the
// service role against every route, asserting what is allowed and what is
// refused, plus tokens that must never pass (expired, forged, alg none,
// wrong issuer).
import { describe, expect, it } from 'vitest';
import { createLocalIssuer, loadLocalIssuer } from '../../scripts/local-functions/local-issuer.ts';
import { createCertificateAuthority } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { useApi } from '../support/api.ts';
import { ACTORS, callWith, newDeviceKey, useTeam } from './helpers.ts';
import type { Actor } from './helpers.ts';

const api = useApi();
const team = useTeam(api, 'authz', 'Matrix');

async function call(actor: Actor, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<{ status: number; code?: string }> {
  const { status, code } = await callWith(api, team.tokens[actor], method, path, body);
  return { status, code };
}

async function registerAs(actor: Actor, extra: Record<string, unknown> = {}) {
  const key = await newDeviceKey();
  const deviceId = crypto.randomUUID();
  const result = await call(actor, 'POST', 'register', { projectId: team.projectId, deviceId, deviceName: `${actor} device ${deviceId.slice(0, 8)}`, publicKey: key.publicKeyPem, ...extra });
  return { deviceId, ...result };
}

/** Expected HTTP status per actor; `code` where the refusal must carry a specific one. */
const EXPECT = {
  createProject: { anon: 401, nonMember: 201, member: 201, admin: 201, owner: 201, service: 403 },
  // Anything a caller may not see is not found (404), exactly as an unknown id
  // is; 403 only where the caller sees the thing but may not do this to it.
  register: { anon: 401, nonMember: 404, member: 200, admin: 200, owner: 200, service: 403 },
  registerLighthouse: { anon: 401, nonMember: 404, member: 403, admin: 200, owner: 200, service: 403 },
  readCa: { anon: 401, nonMember: 404, member: 200, admin: 200, owner: 200, service: 200 },
  importCa: { anon: 401, nonMember: 404, member: 403, admin: 201, owner: 201, service: 403 },
  status: { anon: 401, nonMember: 404, member: 200, admin: 200, owner: 200, service: 200 },
  config: { anon: 401, nonMember: 404, member: 200, admin: 200, owner: 200, service: 200 },
  releaseOwnersDevice: { anon: 401, nonMember: 404, member: 403, admin: 200, owner: 200, service: 200 },
} satisfies Record<string, Record<Actor, number>>;

const CODE_OF_STATUS: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found' };

function expectOutcome(actual: { status: number; code?: string }, status: number): void {
  expect(actual.status).toBe(status);
  if (CODE_OF_STATUS[status]) expect(actual.code).toBe(CODE_OF_STATUS[status]);
}

describe('authorization matrix', () => {
  it.each(ACTORS)('POST /projects as %s', async (actor) => {
    expectOutcome(await call(actor, 'POST', 'projects', { name: `by ${actor}` }), EXPECT.createProject[actor]);
  });

  it.each(ACTORS)('POST /register as %s', async (actor) => {
    expectOutcome(await registerAs(actor), EXPECT.register[actor]);
  });

  it.each(ACTORS)('POST /register a lighthouse as %s', async (actor) => {
    expectOutcome(await registerAs(actor, { lighthouse: { endpoints: ['198.18.0.1:4242'] } }), EXPECT.registerLighthouse[actor]);
  });

  it.each(ACTORS)('GET /ca/:projectId as %s', async (actor) => {
    expectOutcome(await call(actor, 'GET', `ca/${team.projectId}`), EXPECT.readCa[actor]);
  });

  it.each(ACTORS)('POST /ca/:projectId/import as %s', async (actor) => {
    const ca = await createCertificateAuthority({ name: `imported by ${actor}`, ips: [team.subnet] });
    const result = await call(actor, 'POST', `ca/${team.projectId}/import`, { caCertificate: ca.certificatePem, caKey: ca.privateKeyPem });
    expectOutcome(result, EXPECT.importCa[actor]);
  });

  it.each(ACTORS)('GET /status and /config of the owner\'s device as %s', async (actor) => {
    const device = await registerAs('owner');
    expect(device.status).toBe(200);
    expectOutcome(await call(actor, 'GET', `status/${device.deviceId}`), EXPECT.status[actor]);
    const config = await api.fetch(`config/${device.deviceId}`, { token: team.tokens[actor] });
    expect(config.status).toBe(EXPECT.config[actor]);
  });

  it.each(ACTORS)('POST /release of the owner\'s device as %s', async (actor) => {
    const device = await registerAs('owner');
    expectOutcome(await call(actor, 'POST', `release/${device.deviceId}`), EXPECT.releaseOwnersDevice[actor]);
    const live = await api.sql`select 1 from vidsync.ip_allocations where device_id = ${device.deviceId} and released_at is null`;
    expect(live.length).toBe(EXPECT.releaseOwnersDevice[actor] === 200 ? 0 : 1);
  });
});

describe('what a caller may not see answers as what does not exist', () => {
  // Every route that names a project or a device, with a body it would accept.
  const ROUTES: Array<[method: 'GET' | 'POST' | 'PUT', path: (ids: { projectId: string; deviceId: string }) => string, body?: (ids: { projectId: string; deviceId: string }) => Promise<unknown> | unknown]> = [
    ['GET', ({ projectId }) => `projects/${projectId}`],
    ['GET', ({ projectId }) => `ca/${projectId}`],
    ['POST', ({ projectId }) => `ca/${projectId}/import`, async () => {
      const ca = await createCertificateAuthority({ name: 'probe', ips: [team.subnet] });
      return { caCertificate: ca.certificatePem, caKey: ca.privateKeyPem };
    }],
    ['GET', ({ projectId }) => `audit/${projectId}`],
    ['POST', () => 'register', async ({ projectId }) => ({ projectId, deviceId: crypto.randomUUID(), deviceName: 'probe', publicKey: (await newDeviceKey()).publicKeyPem })],
    ['GET', ({ deviceId }) => `status/${deviceId}`],
    ['GET', ({ deviceId }) => `config/${deviceId}`],
    ['GET', ({ deviceId }) => `peers/${deviceId}`],
    ['POST', ({ deviceId }) => `release/${deviceId}`],
    ['POST', ({ deviceId }) => `revoke/${deviceId}`],
    ['POST', ({ deviceId }) => `renew/${deviceId}`, () => ({})],
    ['POST', ({ deviceId }) => `heartbeat/${deviceId}`, () => ({})],
    ['POST', ({ deviceId }) => `credential/${deviceId}`, () => ({ apiKey: null })],
    ['PUT', ({ deviceId }) => `devices/${deviceId}/syncthing`, () => ({ deviceId: null })],
  ];

  it.each(ROUTES.map(([method, path, body]) => [`${method} ${path({ projectId: ':projectId', deviceId: ':deviceId' })}`, method, path, body] as const))(
    '%s: 404 not_found for a non-member, for a real id exactly as for a random one',
    async (_name, method, path, body) => {
      const device = await registerAs('owner');
      expect(device.status).toBe(200);
      const real = { projectId: team.projectId, deviceId: device.deviceId };
      const random = { projectId: crypto.randomUUID(), deviceId: crypto.randomUUID() };
      const answers = [];
      for (const ids of [real, random]) answers.push(await call('nonMember', method, path(ids), body ? await body(ids) : undefined));
      expect(answers).toEqual([{ status: 404, code: 'not_found' }, { status: 404, code: 'not_found' }]);
    },
  );
});

describe('tokens that never pass', () => {
  it('refuses a missing token, an expired one, a forged one, alg none and a wrong issuer with 401', async () => {
    const owner = await api.user('token-owner');
    const realIssuer = `${api.functions.supabaseUrl}/auth/v1`;
    const forger = await createLocalIssuer({ issuer: realIssuer, kid: 'forged' });
    const stolenKeyWrongIssuer = await loadLocalIssuer(forger.privateJwk, 'https://evil.example/auth/v1');
    const header = btoa(JSON.stringify({ alg: 'none', typ: 'JWT' })).replace(/=+$/, '');
    const claims = btoa(JSON.stringify({ sub: owner.id, role: 'authenticated', aud: 'authenticated', iss: realIssuer, exp: Math.floor(Date.now() / 1000) + 600 })).replace(/=+$/, '');
    const cases: Record<string, string | undefined> = {
      missing: undefined,
      garbage: 'not-a-jwt',
      expired: await api.functions.mint({ sub: owner.id, expiresInSeconds: -60 }),
      forged: await forger.mint({ sub: owner.id }),
      algNone: `${header}.${claims}.`,
      wrongIssuer: await stolenKeyWrongIssuer.mint({ sub: owner.id }),
    };
    for (const [name, token] of Object.entries(cases)) {
      const res = await api.fetch(`ca/${team.projectId}`, { token });
      const body = (await res.json()) as { error: { code: string } };
      expect({ name, status: res.status, code: body.error.code }).toEqual({ name, status: 401, code: 'unauthorized' });
    }
  });
});
