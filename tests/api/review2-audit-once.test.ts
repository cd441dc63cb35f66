// The routes whose transactions now end with their audit row (routes/scope.ts
// inAuditedTransaction, endWith; renew and pin inside issueCertificate):
// one row per request, whether it succeeded (written in its transaction) or
// was refused (written on its own by app.ts after the rollback); a signed-in
// stranger of another project gets 404 on each of them, changes nothing,
// and leaves one refusal row that names no project or device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import type { LocalUser } from '../../scripts/local-functions/start.ts';
import { addMember, createProject, newDeviceKey } from './helpers.ts';

let api: ApiHarness;
let owner: LocalUser;
let member: LocalUser;
let stranger: LocalUser;
let joiner: LocalUser;
let projectId: string;
let deviceId: string;

interface Answer {
  status: number;
  code: string | undefined;
  json: Record<string, unknown>;
  requestId: string;
}

async function call(token: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await api.fetch(path, {
    method,
    token,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const json = text && (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {};
  return { status: res.status, code: (json.error as { code?: string } | undefined)?.code, json, requestId: res.headers.get('x-request-id') ?? '' };
}

async function rowsOf(answer: Answer): Promise<Record<string, unknown>[]> {
  expect(answer.requestId).not.toBe('');
  return api.sql<Record<string, unknown>[]>`
    select action, result, actor_id, project_id, device_id from vidsync.audit_log where request_id = ${answer.requestId}`;
}

beforeAll(async () => {
  api = await startApi();
  [owner, member, stranger, joiner] = (await Promise.all(['r2b-owner', 'r2b-member', 'r2b-stranger', 'r2b-joiner'].map((n) => api.user(n)))) as [LocalUser, LocalUser, LocalUser, LocalUser];
  projectId = (await createProject(api.client(owner.accessToken), 'Audited once', '10.217.0.0/24')).projectId;
  await createProject(api.client(stranger.accessToken), 'Elsewhere', '10.218.0.0/24');
  await addMember(api.sql, projectId, member.id, 'member');
  deviceId = crypto.randomUUID();
  const key = await newDeviceKey();
  const registered = await call(owner.accessToken, 'POST', 'register', { projectId, deviceId, deviceName: 'audited', publicKey: key.publicKeyPem });
  expect(registered.status, JSON.stringify(registered.json)).toBe(200);
});
afterAll(async () => api?.stop());

describe('a stranger of another project on the routes the change touched', () => {
  it('reads: 404 not_found, no row', async () => {
    for (const path of [`status/${deviceId}`, `config/${deviceId}`, `config/${deviceId}/ca`, `projects/${projectId}/members`, `projects/${projectId}/invites`]) {
      const answer = await call(stranger.accessToken, 'GET', path);
      expect({ path, status: answer.status, code: answer.code }).toEqual({ path, status: 404, code: 'not_found' });
      expect(await rowsOf(answer)).toEqual([]);
    }
  });

  it('changes: 404 not_found, nothing changed, one refusal row naming no project or device', async () => {
    const [ca] = await api.sql<{ fingerprint: string }[]>`select fingerprint from vidsync.project_cas where project_id = ${projectId}`;
    const invite = await call(owner.accessToken, 'POST', `projects/${projectId}/invites`, { role: 'member', maxUses: 1, expiresInSeconds: 600 });
    expect(invite.status).toBe(201);
    const state = () => Promise.all([
      api.sql`select * from vidsync.devices where id = ${deviceId}`,
      api.sql`select * from vidsync.ip_allocations where device_id = ${deviceId}`,
      api.sql`select count(*)::int as n from vidsync.issued_certificates where device_id = ${deviceId}`,
      api.sql`select fingerprint, retired_at from vidsync.project_cas where project_id = ${projectId} order by fingerprint`,
      api.sql`select user_id, role from vidsync.project_members where project_id = ${projectId} order by user_id`,
      api.sql`select id, revoked_at from vidsync.project_invites where project_id = ${projectId} order by id`,
    ]);
    const before = await state();
    const routes: { method: string; path: string; body?: unknown; action: string }[] = [
      { method: 'POST', path: `renew/${deviceId}`, action: 'device.renew' },
      { method: 'POST', path: `devices/${deviceId}/address`, body: { ip: '10.217.0.200' }, action: 'device.address' },
      { method: 'DELETE', path: `ca/${projectId}/${ca!.fingerprint}`, action: 'ca.retire' },
      { method: 'PATCH', path: `projects/${projectId}/members/${member.id}`, body: { role: 'admin' }, action: 'member.role' },
      { method: 'DELETE', path: `projects/${projectId}/members/${member.id}`, action: 'member.remove' },
      { method: 'POST', path: `projects/${projectId}/invites`, body: { role: 'member', maxUses: 1, expiresInSeconds: 600 }, action: 'invite.create' },
      { method: 'DELETE', path: `projects/${projectId}/invites/${invite.json.inviteId as string}`, action: 'invite.revoke' },
      { method: 'DELETE', path: `projects/${projectId}`, body: { confirm: 'Audited once' }, action: 'project.delete' },
    ];
    for (const r of routes) {
      const answer = await call(stranger.accessToken, r.method, r.path, r.body);
      expect({ ...r, status: answer.status, code: answer.code }).toEqual({ ...r, status: 404, code: 'not_found' });
      expect(await rowsOf(answer)).toEqual([{ action: r.action, result: 'not_found', actor_id: stranger.id, project_id: null, device_id: null }]);
    }
    expect(await state()).toEqual(before);
  });
});

describe('the owner on the same routes: one ok row each, written with the change', () => {
  const once = async (answer: Answer, action: string, status = 200) => {
    expect(answer.status, JSON.stringify(answer.json)).toBe(status);
    const rows = await rowsOf(answer);
    expect(rows.map((r) => [r.action, r.result])).toEqual([[action, 'ok']]);
    return rows[0]!;
  };

  it('renew (new, then the idempotent retry) and pin', async () => {
    const first = await call(owner.accessToken, 'POST', `renew/${deviceId}`);
    expect((await once(first, 'device.renew')).device_id).toBe(deviceId);
    const retry = await call(owner.accessToken, 'POST', `renew/${deviceId}`);
    await once(retry, 'device.renew');
    expect(retry.json.fingerprint).toBe(first.json.fingerprint);
    const pinned = await call(owner.accessToken, 'POST', `devices/${deviceId}/address`, { ip: '10.217.0.201' });
    expect((await once(pinned, 'device.address')).device_id).toBe(deviceId);
  });

  it('invites, join, members, and the project created and deleted', async () => {
    const invite = await call(owner.accessToken, 'POST', `projects/${projectId}/invites`, { role: 'member', maxUses: 2, expiresInSeconds: 600 });
    expect((await once(invite, 'invite.create', 201)).project_id).toBe(projectId);
    const joined = await call(joiner.accessToken, 'POST', 'join', { code: invite.json.code });
    expect((await once(joined, 'member.join', 201)).project_id).toBe(projectId);
    await once(await call(owner.accessToken, 'PATCH', `projects/${projectId}/members/${joiner.id}`, { role: 'admin' }), 'member.role');
    await once(await call(owner.accessToken, 'DELETE', `projects/${projectId}/members/${joiner.id}`), 'member.remove');
    await once(await call(owner.accessToken, 'DELETE', `projects/${projectId}/invites/${invite.json.inviteId as string}`), 'invite.revoke');
    const created = await call(owner.accessToken, 'POST', 'projects', { name: 'Short-lived' });
    const other = (await once(created, 'project.create', 201)).project_id as string;
    expect(other).toBe(created.json.projectId);
    await once(await call(owner.accessToken, 'DELETE', `projects/${other}`, { confirm: 'Short-lived' }), 'project.delete');
  });
});
