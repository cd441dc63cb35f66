// Bad input on the routes the change moved onto routes/scope.ts and endWith
// (status, config, config/:id/ca, members, invites, CA retirement and
// import, project creation and deletion, join, renew, pin): a 4xx with a
// code, never a 500, whether the caller owns the project or is a stranger.
import { beforeAll, describe, expect, it } from 'vitest';
import { useApi } from '../support/api.ts';
import type { LocalUser } from '../../scripts/local-functions/start.ts';
import { callWith, createProject, newDeviceKey } from './helpers.ts';

// Its own database with rate limits out of the way: every request here must reach its route (a 429 would hide a 500).
const api = useApi({ ownDatabase: (sql) => sql`update vidsync.rate_limits set capacity = 1000000, refill_per_second = 1000000` });
let owner: LocalUser;
let stranger: LocalUser;
let projectId: string;
let deviceId: string;

beforeAll(async () => {
  [owner, stranger] = (await Promise.all(['r2b-bad-owner', 'r2b-bad-stranger'].map((n) => api.user(n)))) as [LocalUser, LocalUser];
  projectId = (await createProject(api.client(owner.accessToken), 'Bad input', '10.219.0.0/24')).projectId;
  deviceId = crypto.randomUUID();
  const key = await newDeviceKey();
  expect((await callWith(api, owner.accessToken, 'POST', 'register', { projectId, deviceId, deviceName: 'bad', publicKey: key.publicKeyPem })).status).toBe(200);
});

describe('bad input on the touched routes', () => {
  it('malformed ids, wrong JSON types, NULs, huge values: a coded 4xx, never a 500', async () => {
    const ids = ['not-a-uuid', '%00', `${deviceId}x`, 'A'.repeat(5000), '00000000-0000-0000-0000-000000000000'];
    const junk: unknown[] = [null, 1, 'x', [], { role: 7 }, { ip: '999.1.1.1' }, { ip: '10.219.0.0' }, { ip: '10.219.0.255' }, { ip: '10.220.0.5' }, { ip: '\u0000' },
      { publicKey: 'not a pem' }, { publicKey: 1 }, { code: '\u0000' }, { code: 'x'.repeat(100_000) }, { confirm: 5 }, { confirm: 'Bad input\u0000' },
      { caCertificate: 'x', caKey: 'y' }, { caCertificate: 1 }, { name: '' }, { name: 'x', subnet: '10.0.0.0/33' }, { name: 'x', subnet: 'fe80::/10' },
      { role: 'owner' }, { role: 'member', maxUses: -1, expiresInSeconds: 1e20 }, { kind: 'device', maxUses: 1.5 }];
    const routes = (id: string): [string, string][] => [
      ['GET', `status/${id}`], ['GET', `config/${id}`], ['GET', `config/${id}/ca`], ['GET', `projects/${id}/members`], ['GET', `projects/${id}/invites`],
      ['POST', `renew/${id}`], ['POST', `devices/${id}/address`], ['DELETE', `ca/${id}/${'z'.repeat(64)}`], ['POST', `ca/${id}/import`],
      ['DELETE', `projects/${id}`], ['PATCH', `projects/${id}/members/${id}`], ['DELETE', `projects/${id}/members/${id}`],
      ['POST', `projects/${id}/invites`], ['DELETE', `projects/${id}/invites/${id}`],
    ];
    const seen: string[] = [];
    const check = async (token: string, method: string, path: string, body?: unknown) => {
      const res = await api.fetch(path, { method, token, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
      const text = await res.text();
      const code = res.status >= 400 ? ((JSON.parse(text) as { error?: { code?: string } }).error?.code) : undefined;
      if (res.status >= 500 || res.status === 429 || (res.status >= 400 && !code)) seen.push(`${method} ${path.slice(0, 80)} ${JSON.stringify(body)?.slice(0, 60)}: ${res.status} ${code}`);
    };
    for (const token of [owner.accessToken, stranger.accessToken]) {
      for (const id of [...ids, deviceId, projectId]) for (const [method, path] of routes(id)) await check(token, method, path, method === 'GET' ? undefined : {});
    }
    // The bodies as the owner, who gets past the 404 to the route's own checks.
    for (const body of junk) {
      for (const [method, path] of [...routes(deviceId), ...routes(projectId)]) if (method !== 'GET') await check(owner.accessToken, method, path, body);
      await check(owner.accessToken, 'POST', 'join', body);
      await check(owner.accessToken, 'POST', 'projects', body);
    }
    expect(seen).toEqual([]);
  }, 120_000);

  it('POST /release checks in order: signed in (401), then the id and reason (400), then the device (404)', async () => {
    const bad = `release/${deviceId}?reason=${encodeURIComponent('x'.repeat(1000))}`;
    expect(await callWith(api, api.functions.anonKey, 'POST', bad)).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(await callWith(api, stranger.accessToken, 'POST', bad)).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(await callWith(api, stranger.accessToken, 'POST', `release/${deviceId}`)).toMatchObject({ status: 404, code: 'not_found' });
  });
});
