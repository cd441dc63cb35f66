// Quotas, rate limits and the subnet policy as HTTP answers: 429
// rate_limited with Retry-After, 409 quota_exceeded, 409 subnet_conflict,
// 400 for a public subnet, each leaving nothing behind. A database of its
// own with small limits, so the figures are the test's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { freshDatabase } from '../support/db.ts';
import type { FreshDatabase } from '../support/db.ts';
import { addMember, footprintOf, newDeviceKey } from './helpers.ts';

let db: FreshDatabase;
let api: ApiHarness;

beforeAll(async () => {
  db = await freshDatabase();
  await db.sql`update vidsync.settings set max_projects_per_user = 3, max_devices_per_member = 2`;
  await db.sql`update vidsync.rate_limits set capacity = 5, refill_per_second = 0.05 where route_class = 'read'`;
  api = await startApi({ dbUrl: db.url });
});
afterAll(async () => {
  await api?.stop();
  await db?.drop();
});

async function post(token: string, path: string, body: unknown): Promise<Response> {
  return api.fetch(path, { method: 'POST', token, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

async function register(token: string, projectId: string): Promise<Response> {
  const key = await newDeviceKey();
  return post(token, 'register', { projectId, deviceId: crypto.randomUUID(), deviceName: `laptop ${crypto.randomUUID().slice(0, 8)}`, publicKey: key.publicKeyPem });
}

describe('rate limits', () => {
  it('answer 429 rate_limited with Retry-After once a user\'s bucket is empty; other users are not affected', async () => {
    const [heavy, light] = [await api.user('heavy'), await api.user('light')];
    const created = await post(heavy.accessToken, 'projects', { name: 'reads' });
    const { projectId } = (await created.json()) as { projectId: string };
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await api.fetch(`ca/${projectId}`, { token: heavy.accessToken })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await api.fetch(`ca/${projectId}`, { token: heavy.accessToken });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(20);
    expect(limited.headers.get('access-control-expose-headers')).toContain('retry-after');
    expect(await codeOf(limited)).toBe('rate_limited');
    // Another user's reads are untouched (a 404 here: they may not see the project, but they were not limited).
    expect((await api.fetch(`ca/${projectId}`, { token: light.accessToken })).status).not.toBe(429);
  });
});

describe('quotas', () => {
  it('a user\'s fourth project is 409 quota_exceeded and leaves nothing', async () => {
    const user = await api.user('collector');
    for (let i = 0; i < 3; i++) expect((await post(user.accessToken, 'projects', { name: `p${i}` })).status).toBe(201);
    const before = await footprintOf(api.sql, user.id);
    const res = await post(user.accessToken, 'projects', { name: 'one too many' });
    expect(res.status).toBe(409);
    expect(await codeOf(res)).toBe('quota_exceeded');
    expect(await footprintOf(api.sql, user.id)).toEqual(before);
  });

  it('a member\'s third device is 409 quota_exceeded and leaves nothing', async () => {
    const user = await api.user('gadgets');
    const { projectId } = (await (await post(user.accessToken, 'projects', { name: 'gadgets' })).json()) as { projectId: string };
    expect((await register(user.accessToken, projectId)).status).toBe(200);
    expect((await register(user.accessToken, projectId)).status).toBe(200);
    const before = await footprintOf(api.sql, user.id);
    const res = await register(user.accessToken, projectId);
    expect(res.status).toBe(409);
    expect(await codeOf(res)).toBe('quota_exceeded');
    expect(await footprintOf(api.sql, user.id)).toEqual(before);
  });
});

describe('subnet policy', () => {
  it('refuses public, loopback and multicast subnets with 400 before anything is created', async () => {
    const user = await api.user('public-subnets');
    for (const subnet of ['8.8.8.0/24', '127.0.0.0/24', '0.0.0.0/24', '224.0.0.0/24', '1.1.1.0/24', '100.64.0.0/24']) {
      const res = await post(user.accessToken, 'projects', { name: 'public', subnet });
      expect(res.status, subnet).toBe(400);
      expect(await codeOf(res), subnet).toBe('validation_failed');
    }
    expect((await footprintOf(api.sql, user.id)).projects).toBe(0);
  });

  it('lets two owners pick the same subnet, and answers 409 subnet_conflict when one member\'s devices would join both', async () => {
    const [alice, bob, carol] = [await api.user('alice'), await api.user('bob'), await api.user('carol')];
    const a = (await (await post(alice.accessToken, 'projects', { name: 'a', subnet: '192.168.40.0/24' })).json()) as { projectId: string };
    const b = (await (await post(bob.accessToken, 'projects', { name: 'b', subnet: '192.168.40.0/24' })).json()) as { projectId: string };
    await addMember(api.sql, a.projectId, carol.id, 'member');
    await addMember(api.sql, b.projectId, carol.id, 'member');
    expect((await register(carol.accessToken, a.projectId)).status).toBe(200);
    const before = await footprintOf(api.sql, carol.id);
    const res = await register(carol.accessToken, b.projectId);
    expect(res.status).toBe(409);
    expect(await codeOf(res)).toBe('subnet_conflict');
    expect(await footprintOf(api.sql, carol.id)).toEqual(before);
    // Bob's own devices in his project are fine.
    expect((await register(bob.accessToken, b.projectId)).status).toBe(200);
  });
});
