// An attacker's review of the routes added on 2026-11-30 (enrollment
// invites, roles, project deletion, CA rotation and retirement, audit
// filters), against the real function and database. Each case is a thing an
// attacker tried; the expectation is what must happen instead of what once
// did (or could have). Callers: the project's owner and admin, a plain
// member, a removed member, a stranger who owns another project, a device
// of that other project signing its own requests, and the anon key.
import { beforeAll, describe, expect, it } from 'vitest';
import { signDeviceRequest } from '../../supabase/functions/_shared/auth/device-signature.ts';
import { bytesToBase64 } from '../../supabase/functions/_shared/base64.ts';
import { generateEd25519KeyPair } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { useApi } from '../support/api.ts';
import type { LocalUser } from '../../scripts/local-functions/start.ts';
import { addMember, callWith, createProject, newDeviceKey, registerSigningDevice } from './helpers.ts';
import type { CallResult } from './helpers.ts';

const api = useApi();
let owner: LocalUser;
let admin: LocalUser;
let member: LocalUser;
let removed: LocalUser;
let stranger: LocalUser;
let projectId: string;
let projectName: string;
let strangerProjectId: string;
/** A device of the stranger's project with an API key: a device credential of another project. */
let strangerDevice: { deviceId: string; privateKey: Uint8Array };
let adminDeviceId: string;

async function register(token: string, project: string, lighthouse?: string[]): Promise<string> {
  const deviceId = crypto.randomUUID();
  const key = await newDeviceKey();
  const res = await callWith(api, token, 'POST', 'register', {
    projectId: project,
    deviceId,
    deviceName: `d ${deviceId.slice(0, 8)}`,
    publicKey: key.publicKeyPem,
    ...(lighthouse ? { lighthouse: { endpoints: lighthouse } } : {}),
  });
  expect(res.status).toBe(200);
  return deviceId;
}

async function signed(device: { deviceId: string; privateKey: Uint8Array }, method: string, path: string, body?: unknown): Promise<CallResult> {
  const text = body === undefined ? '' : JSON.stringify(body);
  const authorization = await signDeviceRequest(device, { method, pathAndQuery: `/nebula/${path}`, body: new TextEncoder().encode(text) });
  return callWith(api, '', method, path, body, { authorization });
}

beforeAll(async () => {
  [owner, admin, member, removed, stranger] = (await Promise.all(['rv-owner', 'rv-admin', 'rv-member', 'rv-removed', 'rv-stranger'].map((n) => api.user(n)))) as LocalUser[] as [LocalUser, LocalUser, LocalUser, LocalUser, LocalUser];
  projectName = 'Review target';
  projectId = (await createProject(api.client(owner.accessToken), projectName, '10.213.0.0/24')).projectId;
  await addMember(api.sql, projectId, admin.id, 'admin');
  await addMember(api.sql, projectId, member.id, 'member');
  await addMember(api.sql, projectId, removed.id, 'member');
  expect((await callWith(api, owner.accessToken, 'DELETE', `projects/${projectId}/members/${removed.id}`)).status).toBe(200);
  strangerProjectId = (await createProject(api.client(stranger.accessToken), 'Review attacker', '10.214.0.0/24')).projectId;
  const device = await registerSigningDevice(api, stranger.accessToken, strangerProjectId);
  strangerDevice = { deviceId: device.id, privateKey: device.privateKey };
  adminDeviceId = await register(admin.accessToken, projectId);
});

describe('POST /enroll cannot take over a device that exists', () => {
  async function enrollAs(code: unknown, deviceId: string) {
    const key = await newDeviceKey();
    const apiKey = await generateEd25519KeyPair();
    return callWith(api, api.functions.anonKey, 'POST', 'enroll', {
      code, deviceId, deviceName: `taken ${deviceId.slice(0, 6)}`, publicKey: key.publicKeyPem, apiKey: bytesToBase64(apiKey.publicKey),
    });
  }
  const deviceRow = async (deviceId: string) =>
    (await api.sql`select public_key, api_public_key, name, is_lighthouse, lighthouse_endpoints from vidsync.devices where id = ${deviceId}`)[0];

  // Device ids are no secret: every member sees them in GET /projects/:id, and
  // every device of the project in GET /peers. Enrolling used to register the
  // device for the invite's creator through register_device, which updates a
  // row of the same owner and project in place: a device code (or a device
  // enrolled with a multi-use one) replaced the creator's laptop's key, name
  // and API key, revoked its certificates and took its address.
  it('a device code naming the invite creator\'s existing device: 409 conflict, the device untouched, no use counted', async () => {
    const invite = await callWith(api, admin.accessToken, 'POST', `projects/${projectId}/invites`, { kind: 'device', maxUses: 3, expiresInSeconds: 600 });
    expect(invite.status).toBe(201);
    const before = await deviceRow(adminDeviceId);
    const certsBefore = await api.sql`select fingerprint from vidsync.issued_certificates where device_id = ${adminDeviceId} and revoked_at is null`;
    expect(await enrollAs(invite.json.code, adminDeviceId)).toMatchObject({ status: 409, code: 'conflict' });
    expect(await deviceRow(adminDeviceId)).toEqual(before);
    expect(await api.sql`select fingerprint from vidsync.issued_certificates where device_id = ${adminDeviceId} and revoked_at is null`).toEqual(certsBefore);
    const [row] = await api.sql`select uses from vidsync.project_invites where id = ${invite.json.inviteId as string}`;
    expect(row!.uses).toBe(0);
  });

  it('nor the creator\'s lighthouse (which would lose its endpoints and role), nor a device enrolled a moment ago', async () => {
    const lighthouseId = await register(owner.accessToken, projectId, ['198.51.100.9:4242']);
    const invite = await callWith(api, owner.accessToken, 'POST', `projects/${projectId}/invites`, { kind: 'device', maxUses: 5, expiresInSeconds: 600 });
    const before = await deviceRow(lighthouseId);
    expect(await enrollAs(invite.json.code, lighthouseId)).toMatchObject({ status: 409, code: 'conflict' });
    expect(await deviceRow(lighthouseId)).toEqual(before);

    const first = await enrollAs(invite.json.code, crypto.randomUUID().replace(/^.{8}/, '0e0e0e0e'));
    expect(first.status).toBe(201);
    const enrolled = first.json.deviceId as string;
    const enrolledBefore = await deviceRow(enrolled);
    expect(await enrollAs(invite.json.code, enrolled)).toMatchObject({ status: 409, code: 'conflict' });
    expect(await deviceRow(enrolled)).toEqual(enrolledBefore);
  });

  it('two enrollments of one new device id at once: one device, the other 409', async () => {
    const invite = await callWith(api, owner.accessToken, 'POST', `projects/${projectId}/invites`, { kind: 'device', maxUses: 5, expiresInSeconds: 600 });
    const invite2 = await callWith(api, owner.accessToken, 'POST', `projects/${projectId}/invites`, { kind: 'device', maxUses: 5, expiresInSeconds: 600 });
    const deviceId = crypto.randomUUID();
    const results = await Promise.all([enrollAs(invite.json.code, deviceId), enrollAs(invite2.json.code, deviceId)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const uses = await api.sql`select sum(uses)::int as n from vidsync.project_invites where id in (${invite.json.inviteId as string}, ${invite2.json.inviteId as string})`;
    expect(uses[0]!.n).toBe(1);
  });
});

describe('an invite is worth no more than its creator still is', () => {
  // A removed or demoted admin kept the codes they had made: an admin invite
  // of 1000 uses for 30 days went on making admins (a sock puppet of the
  // removed admin joined as one), and their device codes went on enrolling.
  async function adminWithInvites() {
    const who = await api.user('rv-ex-admin');
    await addMember(api.sql, projectId, who.id, 'admin');
    const memberInvite = await callWith(api, who.accessToken, 'POST', `projects/${projectId}/invites`, { role: 'admin', maxUses: 10, expiresInSeconds: 3600 });
    const deviceInvite = await callWith(api, who.accessToken, 'POST', `projects/${projectId}/invites`, { kind: 'device', maxUses: 10, expiresInSeconds: 3600 });
    expect([memberInvite.status, deviceInvite.status]).toEqual([201, 201]);
    return { who, memberCode: memberInvite.json.code, deviceCode: deviceInvite.json.code };
  }
  async function enrollNew(code: unknown) {
    const key = await newDeviceKey();
    const apiKey = await generateEd25519KeyPair();
    return callWith(api, api.functions.anonKey, 'POST', 'enroll', { code, deviceId: crypto.randomUUID(), deviceName: `n ${crypto.randomUUID().slice(0, 6)}`, publicKey: key.publicKeyPem, apiKey: bytesToBase64(apiKey.publicKey) });
  }

  it('removed: its admin invite makes no admin (410 invite_revoked), its device code enrolls nothing', async () => {
    const { who, memberCode, deviceCode } = await adminWithInvites();
    expect((await callWith(api, owner.accessToken, 'DELETE', `projects/${projectId}/members/${who.id}`)).status).toBe(200);
    const puppet = await api.user('rv-puppet');
    expect(await callWith(api, puppet.accessToken, 'POST', 'join', { code: memberCode })).toMatchObject({ status: 410, code: 'invite_revoked' });
    expect(await api.sql`select role from vidsync.project_members where project_id = ${projectId} and user_id = ${puppet.id}`).toEqual([]);
    expect(await enrollNew(deviceCode)).toMatchObject({ status: 410, code: 'invite_revoked' });
  });

  it('demoted to member: the same (a member may not make invites, so theirs stop)', async () => {
    const { who, memberCode, deviceCode } = await adminWithInvites();
    expect((await callWith(api, owner.accessToken, 'PATCH', `projects/${projectId}/members/${who.id}`, { role: 'member' })).status).toBe(200);
    const puppet = await api.user('rv-puppet');
    expect(await callWith(api, puppet.accessToken, 'POST', 'join', { code: memberCode })).toMatchObject({ status: 410, code: 'invite_revoked' });
    expect(await enrollNew(deviceCode)).toMatchObject({ status: 410, code: 'invite_revoked' });
    // Made an admin again, the codes work again: nothing was destroyed, the creator's standing is read at redemption.
    expect((await callWith(api, owner.accessToken, 'PATCH', `projects/${projectId}/members/${who.id}`, { role: 'admin' })).status).toBe(200);
    expect(await callWith(api, puppet.accessToken, 'POST', 'join', { code: memberCode })).toMatchObject({ status: 201, json: { role: 'admin' } });
    expect((await enrollNew(deviceCode)).status).toBe(201);
  });
});

describe('another project\'s people get 404 on every new route, as if nothing existed', () => {
  const routes = (): { method: string; path: string; body?: unknown }[] => [
    { method: 'DELETE', path: `projects/${projectId}`, body: { confirm: projectName } },
    { method: 'PATCH', path: `projects/${projectId}/members/${stranger.id}`, body: { role: 'owner' } },
    { method: 'PATCH', path: `projects/${projectId}/members/${owner.id}`, body: { role: 'member' } },
    { method: 'DELETE', path: `projects/${projectId}/members/${owner.id}` },
    { method: 'POST', path: `projects/${projectId}/invites`, body: { kind: 'device', maxUses: 1, expiresInSeconds: 600 } },
    { method: 'GET', path: `projects/${projectId}/invites` },
    { method: 'POST', path: `ca/${projectId}/rotate`, body: {} },
    { method: 'DELETE', path: `ca/${projectId}/${'a'.repeat(64)}` },
    { method: 'GET', path: `config/${adminDeviceId}/ca` },
    { method: 'GET', path: `audit/${projectId}?action=device.register` },
    { method: 'GET', path: `audit/${projectId}?deviceId=${adminDeviceId}` },
    { method: 'GET', path: `audit/${projectId}?action=ca.rotate&deviceId=${adminDeviceId}&limit=500&before=9007199254740991` },
    { method: 'POST', path: `heartbeat/${adminDeviceId}`, body: { folders: [{ folderId: 'videos', label: 'Videos', state: 'idle', completion: 100, errors: 0, needBytes: 0 }] } },
  ];

  it('a stranger (owner of another project) and a removed member: 404 not_found everywhere; nothing changed', async () => {
    const [cas] = await api.sql`select count(*)::int as n from vidsync.project_cas where project_id = ${projectId}`;
    const [device] = await api.sql`select sync_folders, heartbeat, last_seen_at from vidsync.devices where id = ${adminDeviceId}`;
    const [members] = await api.sql`select count(*)::int as n from vidsync.project_members where project_id = ${projectId}`;
    const [invites] = await api.sql`select count(*)::int as n from vidsync.project_invites where project_id = ${projectId}`;
    for (const who of [stranger, removed]) {
      for (const r of routes()) {
        const res = await callWith(api, who.accessToken, r.method, r.path, r.body);
        expect({ who: who.email, ...r, status: res.status, code: res.code }).toEqual({ who: who.email, ...r, status: 404, code: 'not_found' });
      }
    }
    const [after] = await api.sql`select count(*)::int as n from vidsync.project_cas where project_id = ${projectId}`;
    expect(after!.n).toBe(cas!.n);
    expect((await api.sql`select sync_folders, heartbeat, last_seen_at from vidsync.devices where id = ${adminDeviceId}`)[0]).toEqual(device);
    expect((await api.sql`select count(*)::int as n from vidsync.project_members where project_id = ${projectId}`)[0]).toEqual(members);
    expect((await api.sql`select count(*)::int as n from vidsync.project_invites where project_id = ${projectId}`)[0]).toEqual(invites);
    expect((await api.sql`select role from vidsync.project_members where project_id = ${projectId} and user_id = ${owner.id}`)[0]!.role).toBe('owner');
  });

  it('the stranger\'s own CA fingerprint cannot be retired through the target project, nor the target\'s through theirs', async () => {
    const [theirs] = await api.sql<{ fingerprint: string }[]>`select fingerprint from vidsync.project_cas where project_id = ${strangerProjectId}`;
    const [ours] = await api.sql<{ fingerprint: string }[]>`select fingerprint from vidsync.project_cas where project_id = ${projectId}`;
    expect(await callWith(api, owner.accessToken, 'DELETE', `ca/${projectId}/${theirs!.fingerprint}`)).toMatchObject({ status: 404, code: 'not_found' });
    expect(await callWith(api, stranger.accessToken, 'DELETE', `ca/${strangerProjectId}/${ours!.fingerprint}`)).toMatchObject({ status: 404, code: 'not_found' });
    const retired = await api.sql`select count(*)::int as n from vidsync.project_cas where fingerprint in (${theirs!.fingerprint}, ${ours!.fingerprint}) and retired_at is not null`;
    expect(retired[0]!.n).toBe(0);
  });

  it('the target\'s device invite cannot be revoked by the stranger or the removed member, nor through the stranger\'s project', async () => {
    const made = await callWith(api, owner.accessToken, 'POST', `projects/${projectId}/invites`, { kind: 'device', maxUses: 1, expiresInSeconds: 600 });
    expect(made.status, JSON.stringify(made.json)).toBe(201);
    const inviteId = made.json.inviteId as string;
    for (const who of [stranger, removed]) {
      expect(await callWith(api, who.accessToken, 'DELETE', `projects/${projectId}/invites/${inviteId}`)).toMatchObject({ status: 404, code: 'not_found' });
    }
    expect(await callWith(api, stranger.accessToken, 'DELETE', `projects/${strangerProjectId}/invites/${inviteId}`)).toMatchObject({ status: 404, code: 'not_found' });
    expect((await api.sql`select revoked_at from vidsync.project_invites where id = ${inviteId}`)[0]!.revoked_at).toBeNull();
    expect((await callWith(api, owner.accessToken, 'DELETE', `projects/${projectId}/invites/${inviteId}`)).status).toBe(200);
  });

  it('a device of another project, signing its own requests, gets nothing of this project', async () => {
    for (const r of [{ method: 'GET', path: `config/${adminDeviceId}/ca` }, { method: 'POST', path: `heartbeat/${adminDeviceId}`, body: {} }]) {
      const res = await signed(strangerDevice, r.method, r.path, r.body);
      expect([401, 403, 404]).toContain(res.status);
      expect(JSON.stringify(res.json)).not.toContain('BEGIN NEBULA');
    }
    for (const r of [{ method: 'DELETE', path: `projects/${projectId}` }, { method: 'POST', path: `ca/${projectId}/rotate`, body: {} }, { method: 'PATCH', path: `projects/${projectId}/members/${owner.id}`, body: { role: 'member' } }]) {
      expect((await signed(strangerDevice, r.method, r.path, r.body)).status).toBe(401);
    }
  });

  it('a plain member: 403 on owner/admin actions, and cannot make themself anything', async () => {
    expect(await callWith(api, member.accessToken, 'PATCH', `projects/${projectId}/members/${member.id}`, { role: 'admin' })).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await callWith(api, member.accessToken, 'PATCH', `projects/${projectId}/members/${member.id}`, { role: 'owner' })).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await callWith(api, admin.accessToken, 'PATCH', `projects/${projectId}/members/${admin.id}`, { role: 'owner' })).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await callWith(api, member.accessToken, 'POST', `ca/${projectId}/rotate`, {})).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await callWith(api, member.accessToken, 'GET', `audit/${projectId}?action=x`)).toMatchObject({ status: 403, code: 'forbidden' });
    expect((await api.sql`select role from vidsync.project_members where project_id = ${projectId} and user_id = ${member.id}`)[0]!.role).toBe('member');
  });
});

describe('bad input on the new routes is a 4xx with a stable code, never a 500', () => {
  const uuidLike = ['not-a-uuid', '00000000-0000-0000-0000-00000000000g', "' or 1=1 --", '%00', 'a'.repeat(300)];
  const hostile: unknown[] = [null, 1, 'x', [], true, { role: ['owner'] }, { confirm: 'a\u0000b' }, { confirm: 12 }, { role: 'owner\u0000' },
    { kind: 'device', maxUses: 1e308, expiresInSeconds: 600 }, { kind: 'device', maxUses: '1', expiresInSeconds: 600 },
    { code: 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA', deviceId: 'x', deviceName: 'n', publicKey: 'k', apiKey: 'k' },
    { code: 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA', deviceId: crypto.randomUUID(), deviceName: 'a\u0000b', publicKey: '\u0000', apiKey: '\u0000' },
    { retireOldAt: 'yesterday' }, { retireOldAt: '9999-12-31T00:00:00Z' }, { retireOldAt: 12 }, { confirm: 'z'.repeat(100_000) }];

  it('malformed ids, wrong JSON types, NULs and huge bodies on every new route', async () => {
    const seen: string[] = [];
    const check = (label: string, res: CallResult) => {
      seen.push(`${label} → ${res.status}`);
      expect({ label, status: res.status, coded: typeof res.code === 'string' || res.status < 400 }).toMatchObject({ label, coded: true });
      expect({ label, status: res.status < 500 }).toEqual({ label, status: true });
    };
    for (const bad of uuidLike) {
      const id = encodeURIComponent(bad);
      for (const [method, path, body] of [
        ['DELETE', `projects/${id}`, { confirm: 'x' }],
        ['PATCH', `projects/${projectId}/members/${id}`, { role: 'admin' }],
        ['PATCH', `projects/${id}/members/${member.id}`, { role: 'admin' }],
        ['DELETE', `projects/${projectId}/members/${id}`, undefined],
        ['DELETE', `projects/${id}/members/${member.id}`, undefined],
        ['POST', `projects/${id}/invites`, { kind: 'device', maxUses: 1, expiresInSeconds: 600 }],
        ['POST', `heartbeat/${id}`, { folders: [] }],
        ['GET', `audit/${projectId}?before=${id}`, undefined],
        ['GET', `audit/${projectId}?limit=${id}`, undefined],
        ['DELETE', `ca/${projectId}/${id}`, undefined],
        ['POST', `ca/${id}/rotate`, {}],
        ['GET', `config/${id}/ca`, undefined],
        ['GET', `audit/${projectId}?deviceId=${id}`, undefined],
        ['GET', `audit/${projectId}?action=${id}`, undefined],
      ] as [string, string, unknown][]) check(`${method} ${path}`, await callWith(api, owner.accessToken, method, path, body));
    }
    for (const body of hostile) {
      for (const [method, path] of [
        ['PATCH', `projects/${projectId}/members/${member.id}`],
        ['DELETE', `projects/${projectId}`],
        ['POST', `projects/${projectId}/invites`],
        ['POST', `ca/${projectId}/rotate`],
        ['POST', 'enroll'],
      ]) check(`${method} ${path} ${JSON.stringify(body).slice(0, 60)}`, await callWith(api, method === 'POST' && path === 'enroll' ? api.functions.anonKey : admin.accessToken, method!, path!, body));
    }
    // Heartbeat folders of the wrong JSON types, NULs and huge values: 4xx, never 500.
    const folder = { folderId: 'videos', label: 'Videos', state: 'idle', completion: 100, errors: 0, needBytes: 0 };
    for (const folders of [null, 1, {}, 'x'.repeat(100_000), [null], [1], [[]], [{ ...folder, completion: '100' }], [{ ...folder, errors: null }],
      [{ ...folder, needBytes: 1e308 }], [{ ...folder, needBytes: 2 ** 63 }], [{ ...folder, folderId: 'a\u0000b' }], [{ ...folder, label: 'l\u0000' }],
      [{ ...folder, error: 'e'.repeat(100_000) }], [{ ...folder, state: ['idle'] }], Array.from({ length: 10_000 }, (_, i) => ({ ...folder, folderId: `f${i}` }))]) {
      check(`POST heartbeat folders ${JSON.stringify(folders).slice(0, 60)}`, await callWith(api, admin.accessToken, 'POST', `heartbeat/${adminDeviceId}`, { folders }));
    }
    // Bodies far over any cap (4 MiB of JSON) on every new route with a body: 4xx, never 500.
    const huge = { confirm: 'z'.repeat(4 << 20), role: 'admin', kind: 'device', folders: [] };
    for (const [method, path, token] of [
      ['PATCH', `projects/${projectId}/members/${member.id}`, owner.accessToken],
      ['DELETE', `projects/${projectId}`, owner.accessToken],
      ['POST', `projects/${projectId}/invites`, owner.accessToken],
      ['POST', `ca/${projectId}/rotate`, owner.accessToken],
      ['POST', `heartbeat/${adminDeviceId}`, admin.accessToken],
      ['POST', 'enroll', api.functions.anonKey],
    ] as [string, string, string][]) check(`${method} ${path} 4 MiB`, await callWith(api, token, method, path, huge));
    // Audit filters are bound values, not SQL: an injection attempt filters to nothing.
    const injected = await callWith(api, owner.accessToken, 'GET', `audit/${projectId}?action=${encodeURIComponent("x' or '1'='1")}`);
    expect(injected.status === 400 || (injected.status === 200 && (injected.json.entries as unknown[]).length === 0)).toBe(true);
    // The project is still whole, with its owner.
    expect((await callWith(api, owner.accessToken, 'GET', `projects/${projectId}`)).status).toBe(200);
    expect(seen.length).toBeGreaterThan(60);
  });
});

describe('anonymous enrollments take one connection of the pool at most', () => {
  // POST /enroll's callers have no identity, so tenants.ts cannot give each
  // its share: every enrollment went straight to the pool (3 connections),
  // and a flood of them — anyone may send one, with any code — held every
  // connection while it lasted, so no one else's request ran. Enrollments
  // stuck behind a locked invite stand here for that flood, reproducibly.
  it('with enrollments stuck on a locked invite, another tenant\'s request still answers at once', async () => {
    const invite = await callWith(api, owner.accessToken, 'POST', `projects/${projectId}/invites`, { kind: 'device', maxUses: 10, expiresInSeconds: 600 });
    const reserved = await api.sql.reserve();
    let stuck: Promise<CallResult>[] = [];
    let outcome: string;
    try {
      await reserved`begin`;
      await reserved`select 1 from vidsync.project_invites where id = ${invite.json.inviteId as string} for update`;
      stuck = Array.from({ length: 4 }, async () => {
        const key = await newDeviceKey();
        const apiKey = await generateEd25519KeyPair();
        return callWith(api, api.functions.anonKey, 'POST', 'enroll', {
          code: invite.json.code, deviceId: crypto.randomUUID(), deviceName: `flood ${crypto.randomUUID().slice(0, 6)}`, publicKey: key.publicKeyPem, apiKey: bytesToBase64(apiKey.publicKey),
        });
      });
      await new Promise((resolve) => setTimeout(resolve, 500)); // they reach the database and wait on the lock
      const other = callWith(api, stranger.accessToken, 'GET', `projects/${strangerProjectId}`).then((r) => `answered ${r.status}`);
      outcome = await Promise.race([other, new Promise<string>((resolve) => setTimeout(() => resolve('no connection left'), 3000))]);
    } finally {
      await reserved`rollback`;
      reserved.release();
    }
    expect(outcome).toBe('answered 200');
    // Once the invite is free, every one of them enrolls: queued, not refused.
    expect((await Promise.all(stuck)).map((r) => r.status)).toEqual([201, 201, 201, 201]);
  });
});
