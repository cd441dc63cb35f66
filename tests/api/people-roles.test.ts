// Roles, owner transfer and project deletion through HTTP (migration
// 20251130120000): PATCH /projects/:id/members/:userId's rules (only an
// owner makes or unmakes an owner, the last owner stays), owner transfer as
// two role changes with ownerId following, and DELETE /projects/:id: the
// confirmation, one transaction that takes devices, pool, certificates,
// invites and the CA's sealed key, keeps the audit log, a tombstone and the
// CA certificate, holds the subnet while its certificates could be valid,
// and leaves a second project of the same people untouched; afterwards the
// project is 404 on every route. Real Deno, real Postgres.
import { beforeAll, describe, expect, it } from 'vitest';
import { useApi } from '../support/api.ts';
import { actorTokens, callWith, createTeamProject, newDeviceKey } from './helpers.ts';
import type { Actor, TeamUsers } from './helpers.ts';

const api = useApi();
let tokens: Record<Actor, string>;
let users: TeamUsers;
let subnetIndex = 0;

async function newProject(name = `Roles ${subnetIndex + 1}`): Promise<{ projectId: string; subnet: string; name: string }> {
  const subnet = `10.${140 + ++subnetIndex}.0.0/24`;
  const { projectId } = await createTeamProject(api, { tokens, users }, name, subnet);
  return { projectId, subnet, name };
}

const setRole = (actor: Actor, projectId: string, userId: string, role: unknown) =>
  callWith(api, tokens[actor], 'PATCH', `projects/${projectId}/members/${userId}`, { role });

async function register(token: string, projectId: string): Promise<string> {
  const deviceId = crypto.randomUUID();
  const key = await newDeviceKey();
  const res = await callWith(api, token, 'POST', 'register', { projectId, deviceId, deviceName: `d ${deviceId.slice(0, 8)}`, publicKey: key.publicKeyPem });
  expect(res.status).toBe(200);
  return deviceId;
}

/** One PATCH of a member's role: who asks, whose role, the role asked for, and the answer expected. */
type RoleChange = [actor: Actor, target: keyof TeamUsers, role: unknown, answer: Record<string, unknown>];

/** Makes the changes in order, each answer checked before the next is asked. */
async function expectRoleChanges(projectId: string, changes: RoleChange[]): Promise<void> {
  for (const [actor, target, role, answer] of changes) {
    expect(await setRole(actor, projectId, users[target].id, role), `${actor} sets ${target} to ${String(role)}`).toMatchObject(answer);
  }
}

const roleOf = async (projectId: string, userId: string) =>
  (await api.sql<{ role: string }[]>`select role from vidsync.project_members where project_id = ${projectId} and user_id = ${userId}`)[0]?.role;

beforeAll(async () => {
  ({ tokens, users } = await actorTokens(api, 'roles'));
});

describe('PATCH /projects/:id/members/:userId', () => {
  it('owner and admin change members and admins; a member 403, a non-member 404, anon 401; bad roles 400', async () => {
    const { projectId } = await newProject();
    await expectRoleChanges(projectId, [
      ['member', 'admin', 'member', { status: 403, code: 'forbidden' }],
      ['nonMember', 'member', 'admin', { status: 404, code: 'not_found' }],
      ['anon', 'member', 'admin', { status: 401, code: 'unauthorized' }],
      ['owner', 'member', 'boss', { status: 400, code: 'validation_failed' }],
      ['owner', 'nonMember', 'admin', { status: 404, code: 'not_found' }],
      ['admin', 'member', 'admin', { status: 200, json: { projectId, userId: users.member.id, role: 'admin', previousRole: 'member' } }],
      ['owner', 'member', 'member', { status: 200, json: { role: 'member', previousRole: 'admin' } }],
    ]);
    expect(await roleOf(projectId, users.member.id)).toBe('member');
    const audit = await api.sql`select result from vidsync.audit_log where project_id = ${projectId} and action = 'member.role' order by id`;
    expect(audit.map((r) => r.result)).toEqual(['forbidden', 'ok', 'ok']);
  });

  it('only an owner makes or unmakes an owner; the last owner cannot be demoted (409 last_owner)', async () => {
    const { projectId } = await newProject();
    await expectRoleChanges(projectId, [
      ['admin', 'member', 'owner', { status: 403, code: 'forbidden' }],
      ['admin', 'admin', 'owner', { status: 403, code: 'forbidden' }],
      ['admin', 'owner', 'member', { status: 403, code: 'forbidden' }],
      ['owner', 'owner', 'admin', { status: 409, code: 'last_owner' }],
      ['service', 'owner', 'admin', { status: 409, code: 'last_owner' }],
    ]);
    expect(await roleOf(projectId, users.owner.id)).toBe('owner');
  });

  it('owner transfer: make the admin an owner, step down; ownerId follows, and the old owner is an admin', async () => {
    const { projectId } = await newProject();
    await expectRoleChanges(projectId, [
      ['owner', 'admin', 'owner', { status: 200, json: { role: 'owner', previousRole: 'admin' } }],
      ['owner', 'owner', 'admin', { status: 200, json: { role: 'admin', previousRole: 'owner' } }],
    ]);
    const project = await callWith(api, tokens.admin, 'GET', `projects/${projectId}`);
    expect((project.json.project as { ownerId: string }).ownerId).toBe(users.admin.id);
    // The project view lists its members, owners first.
    expect((project.json.members as { userId: string; role: string }[]).map((m) => [m.userId, m.role])).toEqual([
      [users.admin.id, 'owner'], [users.owner.id, 'admin'], [users.member.id, 'member'],
    ]);
    // The new owner now decides; the old one, an admin, may no longer unmake them.
    await expectRoleChanges(projectId, [
      ['owner', 'admin', 'member', { status: 403, code: 'forbidden' }],
      ['admin', 'admin', 'member', { status: 409, code: 'last_owner' }],
    ]);
  });
});

describe('concurrency and the SQL editor', () => {
  it('two owners demoting each other at once: exactly one succeeds, an owner remains', async () => {
    const { projectId } = await newProject();
    expect((await setRole('owner', projectId, users.admin.id, 'owner')).status).toBe(200);
    const [a, b] = await Promise.all([setRole('owner', projectId, users.admin.id, 'admin'), setRole('admin', projectId, users.owner.id, 'admin')]);
    expect([a.status, b.status].sort()).toEqual([200, 403]);
    const owners = await api.sql`select user_id from vidsync.project_members where project_id = ${projectId} and role = 'owner'`;
    expect(owners).toHaveLength(1);
    const [project] = await api.sql`select owner_id from vidsync.projects where id = ${projectId}`;
    expect(project!.owner_id).toBe(owners[0]!.user_id);
  });

  it('registrations racing a deletion either finish before it or get 404; nothing of the project is left', async () => {
    const { projectId, name } = await newProject('Racing');
    const key = await newDeviceKey();
    const registrations = Array.from({ length: 6 }, (_, i) =>
      callWith(api, i % 2 ? tokens.member : tokens.admin, 'POST', 'register', { projectId, deviceId: crypto.randomUUID(), deviceName: `racer ${i}`, publicKey: key.publicKeyPem }));
    const deletion = callWith(api, tokens.owner, 'DELETE', `projects/${projectId}`, { confirm: name });
    const results = await Promise.all([...registrations, deletion]);
    expect(results.at(-1)!.status).toBe(200);
    for (const r of results.slice(0, -1)) expect([200, 404], JSON.stringify(r)).toContain(r.status);
    expect(await countsOf(projectId)).toEqual({ projects: 0, members: 0, devices: 0, pool: 0, allocations: 0, certificates: 0, invites: 0, cas: 0 });
  });

  it('renewals, address pins, revocations and releases racing a deletion either finish before it or get 404 / 410; nothing of the project is left', async () => {
    const { projectId, name } = await newProject('Renewing');
    const devices = [];
    for (let i = 0; i < 4; i++) {
      const deviceId = crypto.randomUUID();
      const key = await newDeviceKey();
      const reg = await callWith(api, tokens.admin, 'POST', 'register', { projectId, deviceId, deviceName: `renewer ${i}`, publicKey: key.publicKeyPem });
      expect(reg.status, JSON.stringify(reg)).toBe(200);
      devices.push({ deviceId, ip: reg.json.ip as string });
    }
    const racers = devices.flatMap(({ deviceId, ip }, i) => [
      callWith(api, tokens.admin, 'POST', `renew/${deviceId}`),
      callWith(api, tokens.owner, 'POST', `devices/${deviceId}/address`, { ip: ip.replace(/\d+$/, String(200 + i)) }),
      callWith(api, tokens.owner, 'POST', `${i % 2 ? 'revoke' : 'release'}/${deviceId}`),
    ]);
    const deletion = callWith(api, tokens.owner, 'DELETE', `projects/${projectId}`, { confirm: name });
    const results = await Promise.all([...racers, deletion]);
    expect(results.at(-1)!.status).toBe(200);
    for (const r of results.slice(0, -1)) expect([200, 404, 410], JSON.stringify(r)).toContain(r.status);
    expect(await countsOf(projectId)).toEqual({ projects: 0, members: 0, devices: 0, pool: 0, allocations: 0, certificates: 0, invites: 0, cas: 0 });
  });

  it('in the SQL editor (postgres): set_member_role and delete_project with their SQLSTATEs', async () => {
    const { projectId, name } = await newProject('Editor');
    const state = async (q: Promise<unknown>) => q.then(() => 'ok', (e: { code?: string }) => e.code);
    expect(await state(api.sql`select * from vidsync_api.set_member_role(${projectId}, ${users.owner.id}, 'admin')`)).toBe('VS054');
    expect(await state(api.sql`select * from vidsync_api.set_member_role(${projectId}, ${users.member.id}, 'boss')`)).toBe('VS005');
    expect(await state(api.sql`select * from vidsync_api.set_member_role(${projectId}, ${users.nonMember.id}, 'admin')`)).toBe('VS003');
    expect(await api.sql`select * from vidsync_api.set_member_role(${projectId}, ${users.member.id}, 'owner')`).toEqual([{ new_role: 'owner', previous_role: 'member' }]);
    expect(await state(api.sql`select * from vidsync_api.delete_project(${projectId}, 'editor')`)).toBe('VS055');
    expect(await state(api.sql`select * from vidsync_api.delete_project(${crypto.randomUUID()}, 'x')`)).toBe('VS003');
    const [deleted] = await api.sql`select * from vidsync_api.delete_project(${projectId}, ${name})`;
    expect(deleted).toMatchObject({ project_id: projectId, name, revoked_devices: 0 });
    const [tomb] = await api.sql`select deleted_by from vidsync.deleted_projects where id = ${projectId}`;
    expect(tomb!.deleted_by).toBeNull();
  });
});

describe('DELETE /projects/:id', () => {
  it('needs the owner and the project\'s name: 400 project_name_mismatch, 403 admin/member/service, 404 non-member, 401 anon; nothing deleted', async () => {
    const { projectId, name } = await newProject('Holiday videos');
    const del = (actor: Actor, body: unknown) => callWith(api, tokens[actor], 'DELETE', `projects/${projectId}`, body);
    expect(await del('owner', { confirm: 'holiday videos' })).toMatchObject({ status: 400, code: 'project_name_mismatch' });
    expect(await del('owner', {})).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(await del('admin', { confirm: name })).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await del('member', { confirm: name })).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await del('service', { confirm: name })).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await del('nonMember', { confirm: name })).toMatchObject({ status: 404, code: 'not_found' });
    expect(await del('anon', { confirm: name })).toMatchObject({ status: 401, code: 'unauthorized' });
    expect((await callWith(api, tokens.owner, 'GET', `projects/${projectId}`)).status).toBe(200);
  });

  it('takes devices, pool, certificates, invites and the CA key in one transaction; keeps the audit log, a tombstone and the CA certificate; touches no other project; 404 afterwards on every route', async () => {
    const doomed = await newProject('Doomed');
    const kept = await newProject('Kept');
    const doomedDevices = [await register(tokens.owner, doomed.projectId), await register(tokens.member, doomed.projectId)];
    const keptDevice = await register(tokens.member, kept.projectId);
    const invite = await callWith(api, tokens.owner, 'POST', `projects/${doomed.projectId}/invites`, { role: 'member', maxUses: 5, expiresInSeconds: 3600 });
    const keptInvite = await callWith(api, tokens.owner, 'POST', `projects/${kept.projectId}/invites`, { role: 'member', maxUses: 5, expiresInSeconds: 3600 });
    const [ca] = await api.sql<{ fingerprint: string; certificate_pem: string }[]>`select fingerprint, certificate_pem from vidsync.project_cas where project_id = ${doomed.projectId}`;
    const keptBefore = await countsOf(kept.projectId);

    const deleted = await callWith(api, tokens.owner, 'DELETE', `projects/${doomed.projectId}`, { confirm: ' Doomed ' });
    expect(deleted).toMatchObject({
      status: 200,
      json: { projectId: doomed.projectId, deleted: true, revokedDevices: 2, revokedCertificates: 2, revokedInvites: 1, subnet: doomed.subnet },
    });
    // Held until the last certificate (7 days) expires.
    expect(Date.parse(deleted.json.subnetHeldUntil as string) - Date.now()).toBeGreaterThan(6 * 86400_000);

    expect(await countsOf(doomed.projectId)).toEqual({ projects: 0, members: 0, devices: 0, pool: 0, allocations: 0, certificates: 0, invites: 0, cas: 0 });
    expect(await countsOf(kept.projectId)).toEqual(keptBefore);
    const [tomb] = await api.sql`select name, subnet::text, deleted_by, devices, members from vidsync.deleted_projects where id = ${doomed.projectId}`;
    expect(tomb).toMatchObject({ name: 'Doomed', subnet: doomed.subnet, deleted_by: users.owner.id, devices: 2, members: 3 });
    const keptCas = await api.sql`select * from vidsync.deleted_project_cas where project_id = ${doomed.projectId}`;
    expect(keptCas.map((c) => [c.fingerprint, c.certificate_pem])).toEqual([[ca!.fingerprint, ca!.certificate_pem]]);
    expect(JSON.stringify(keptCas)).not.toContain('sealed');
    const audit = await api.sql`select action, result from vidsync.audit_log where project_id = ${doomed.projectId} order by id`;
    expect(audit.map((r) => r.action)).toEqual(expect.arrayContaining(['project.create', 'device.register', 'invite.create', 'project.delete']));
    expect(audit.at(-1)).toMatchObject({ action: 'project.delete', result: 'ok' });

    // Gone for everyone, on every route, as a project that never existed.
    const p = doomed.projectId;
    const routes: [string, string, unknown?][] = [
      ['GET', `projects/${p}`], ['DELETE', `projects/${p}`, { confirm: 'Doomed' }], ['GET', `ca/${p}`],
      ['GET', `projects/${p}/members`], ['PATCH', `projects/${p}/members/${users.member.id}`, { role: 'admin' }],
      ['DELETE', `projects/${p}/members/${users.member.id}`], ['GET', `projects/${p}/invites`],
      ['POST', `projects/${p}/invites`, { role: 'member', maxUses: 1, expiresInSeconds: 60 }],
      ['GET', `status/${doomedDevices[0]}`], ['GET', `config/${doomedDevices[0]}`], ['GET', `peers/${doomedDevices[0]}`],
      ['POST', `renew/${doomedDevices[0]}`, {}], ['POST', `release/${doomedDevices[0]}`],
    ];
    for (const actor of ['owner', 'admin', 'member', 'service'] as const) {
      for (const [method, path, body] of routes) {
        if (actor === 'service' && method === 'DELETE' && path === `projects/${p}`) continue; // the service role may not delete (403 before any lookup)
        expect(await callWith(api, tokens[actor], method, path, body), `${actor} ${method} ${path}`).toMatchObject({ status: 404 });
      }
    }
    for (const actor of ['owner', 'admin'] as const) expect((await callWith(api, tokens[actor], 'GET', `audit/${p}`)).status).toBe(404);
    // The log is kept: an operator (the service role) still reads it, deletion last.
    const log = await callWith(api, tokens.service, 'GET', `audit/${p}`);
    expect((log.json.entries as { action: string }[])[0]).toMatchObject({ action: 'project.delete' });
    const key = await newDeviceKey();
    expect((await callWith(api, tokens.owner, 'POST', 'register', { projectId: p, deviceId: crypto.randomUUID(), deviceName: 'late', publicKey: key.publicKeyPem })).status).toBe(404);
    const joiner = await api.user('roles-late-joiner');
    expect(await callWith(api, joiner.accessToken, 'POST', 'join', { code: invite.json.code })).toMatchObject({ status: 404, code: 'invite_unknown' });
    const list = await callWith(api, tokens.owner, 'GET', 'projects');
    expect((list.json.projects as { projectId: string }[]).map((x) => x.projectId)).not.toContain(p);
    expect((list.json.projects as { projectId: string }[]).map((x) => x.projectId)).toContain(kept.projectId);

    // The other project works as before.
    expect(await callWith(api, tokens.member, 'GET', `status/${keptDevice}`)).toMatchObject({ status: 200, json: { revokedAt: null } });
    expect(await callWith(api, joiner.accessToken, 'POST', 'join', { code: keptInvite.json.code })).toMatchObject({ status: 201 });
  });

  it('the subnet stays with its users while its certificates could be valid: the owner cannot reuse it until then', async () => {
    const gone = await newProject('Short lived');
    await register(tokens.owner, gone.projectId);
    expect((await callWith(api, tokens.owner, 'DELETE', `projects/${gone.projectId}`, { confirm: 'Short lived' })).status).toBe(200);
    const again = () => callWith(api, tokens.owner, 'POST', 'projects', { name: 'Reborn', subnet: gone.subnet });
    const refused = await again();
    expect(refused).toMatchObject({ status: 409, code: 'subnet_overlap' });
    // It says why, though the owner no longer sees the deleted project anywhere.
    expect(refused.json.error).toMatchObject({ message: expect.stringContaining('a deleted one whose certificates have not expired yet') });
    // Another user may take it at once, as any project may overlap another user's.
    expect((await callWith(api, tokens.nonMember, 'POST', 'projects', { name: 'Neighbour', subnet: gone.subnet })).status).toBe(201);
    // Once the hold is over (as if the certificates had expired), the owner may.
    await api.sql`update vidsync.user_subnets set held_until = now() - interval '1 second' where project_id = ${gone.projectId}`;
    expect(await again()).toMatchObject({ status: 201 });
    expect(await api.sql`select 1 from vidsync.user_subnets where project_id = ${gone.projectId} and user_id = ${users.owner.id}`).toHaveLength(0);
  });

  it('a project with no certificate ever issued frees its subnet at once', async () => {
    const empty = await newProject('Empty');
    const res = await callWith(api, tokens.owner, 'DELETE', `projects/${empty.projectId}`, { confirm: 'Empty' });
    expect(res).toMatchObject({ status: 200, json: { revokedDevices: 0, revokedCertificates: 0 } });
    expect(await api.sql`select 1 from vidsync.user_subnets where project_id = ${empty.projectId}`).toHaveLength(0);
    expect((await callWith(api, tokens.owner, 'POST', 'projects', { name: 'Empty again', subnet: empty.subnet })).status).toBe(201);
  });
});

async function countsOf(projectId: string): Promise<Record<string, number>> {
  const [row] = await api.sql<Record<string, number>[]>`
    select (select count(*)::int from vidsync.projects where id = ${projectId}) as projects,
           (select count(*)::int from vidsync.project_members where project_id = ${projectId}) as members,
           (select count(*)::int from vidsync.devices where project_id = ${projectId}) as devices,
           (select count(*)::int from vidsync.ip_pool where project_id = ${projectId}) as pool,
           (select count(*)::int from vidsync.ip_allocations where project_id = ${projectId}) as allocations,
           (select count(*)::int from vidsync.issued_certificates where project_id = ${projectId}) as certificates,
           (select count(*)::int from vidsync.project_invites where project_id = ${projectId}) as invites,
           (select count(*)::int from vidsync.project_cas where project_id = ${projectId}) as cas`;
  return row!;
}
