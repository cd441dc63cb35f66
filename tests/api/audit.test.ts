// The audit log: one append-only row per mutating request and per refusal,
// read by a project's owners and admins (GET /nebula/audit/:projectId and
// public.project_audit_log), never changed by anyone, pruned only after the
// retention period.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { asUser, freshDatabase, sqlstateOf } from '../support/db.ts';
import type { FreshDatabase } from '../support/db.ts';
import type { LocalUser } from '../../scripts/local-functions/start.ts';
import { createCertificateAuthority } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { addMember, newDeviceKey } from './helpers.ts';

interface Entry {
  id: string;
  at: string;
  action: string;
  result: string;
  httpStatus: number;
  actor: { kind: string; id: string | null };
  deviceId: string | null;
  sourceIp: string | null;
  requestId: string;
}

let api: ApiHarness;
let owner: LocalUser;
let stranger: LocalUser;
let projectId: string;
let subnet: string;

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function register(token: string, deviceId: string, headers: Record<string, string> = {}): Promise<Response> {
  const key = await newDeviceKey();
  const init = json({ projectId, deviceId, deviceName: `device ${deviceId.slice(0, 4)}`, publicKey: key.publicKeyPem });
  return api.fetch('register', { ...init, headers: { ...init.headers, ...headers }, token });
}

async function page(token: string, query = ''): Promise<{ status: number; body: { entries: Entry[]; nextBefore: string | null; error?: { code: string } } }> {
  const res = await api.fetch(`audit/${projectId}${query}`, { token });
  return { status: res.status, body: (await res.json()) as never };
}

beforeAll(async () => {
  api = await startApi();
  owner = await api.user('audit-owner');
  stranger = await api.user('audit-stranger');
  const res = await api.fetch('projects', { ...json({ name: 'Audited' }), token: owner.accessToken });
  expect(res.status).toBe(201);
  ({ projectId, subnet } = (await res.json()) as { projectId: string; subnet: string });
});
afterAll(() => api?.stop());

describe('rows', () => {
  it('one per successful mutation, in the same transaction: actor, action, project, device, result, source IP, request id', async () => {
    const deviceId = crypto.randomUUID();
    // A client-sent cf-connecting-ip is overwritten by the gateway (here the local one, as Cloudflare does).
    const res = await register(owner.accessToken, deviceId, { 'cf-connecting-ip': '203.0.113.9', 'x-forwarded-for': '198.51.100.7' });
    expect(res.status).toBe(200);
    const [row] = await api.sql<Record<string, unknown>[]>`
      select actor_kind, actor_id, action, project_id, device_id, result, http_status, host(source_ip) as ip, request_id
        from vidsync.audit_log where device_id = ${deviceId}`;
    expect(row).toEqual({
      actor_kind: 'user',
      actor_id: owner.id,
      action: 'device.register',
      project_id: projectId,
      device_id: deviceId,
      result: 'ok',
      http_status: 200,
      ip: '127.0.0.1',
      request_id: res.headers.get('x-request-id'),
    });

    const [created] = await api.sql`select action, result, http_status from vidsync.audit_log where project_id = ${projectId} and action = 'project.create'`;
    expect(created).toEqual({ action: 'project.create', result: 'ok', http_status: 201 });

    const released = await api.fetch(`release/${deviceId}`, { method: 'POST', token: owner.accessToken });
    expect(released.status).toBe(200);
    const actions = await api.sql<{ action: string }[]>`select action from vidsync.audit_log where device_id = ${deviceId} order by id`;
    expect(actions.map((a) => a.action)).toEqual(['device.register', 'device.release']);

    // A row that names only the device (app.ts's own, for a route that did not record one) gets the device's project.
    await api.sql`select vidsync_api.append_audit('device.test', 'ok', 200, 'service', null, null, ${deviceId}, null, ${crypto.randomUUID()})`;
    const [named] = await api.sql`select project_id from vidsync.audit_log where device_id = ${deviceId} and action = 'device.test'`;
    expect(named).toEqual({ project_id: projectId });
  });

  it('a refusal leaves a row although its transaction rolled back, and the action left nothing else; a 404 names neither project nor device', async () => {
    const deviceId = crypto.randomUUID();
    const res = await register(stranger.accessToken, deviceId);
    expect([403, 404]).toContain(res.status);
    const code = ((await res.json()) as { error: { code: string } }).error.code;
    const rows = await api.sql`select actor_kind, actor_id, action, project_id, device_id, result, http_status from vidsync.audit_log where request_id = ${res.headers.get('x-request-id')!}`;
    const named = code === 'not_found' ? { project_id: null, device_id: null } : { project_id: projectId, device_id: deviceId };
    expect(rows).toEqual([{ actor_kind: 'user', actor_id: stranger.id, action: 'device.register', ...named, result: code, http_status: res.status }]);
    expect(await api.sql`select 1 from vidsync.devices where id = ${deviceId}`).toHaveLength(0);
  });

  it('a stranger\'s refused revoke of another project\'s device (404) is not written into that project\'s log', async () => {
    const deviceId = crypto.randomUUID();
    expect((await register(owner.accessToken, deviceId)).status).toBe(200);
    const res = await api.fetch(`revoke/${deviceId}`, { method: 'POST', token: stranger.accessToken });
    expect(res.status).toBe(404);
    const rows = await api.sql`select actor_id, project_id, device_id, result from vidsync.audit_log where request_id = ${res.headers.get('x-request-id')!}`;
    expect(rows).toEqual([{ actor_id: stranger.id, project_id: null, device_id: null, result: 'not_found' }]);
    expect(await api.sql`select 1 from vidsync.audit_log where actor_id = ${stranger.id} and (project_id = ${projectId} or device_id = ${deviceId})`).toHaveLength(0);
  });

  it('callers without a verified identity (a forged token, the anon key) leave no row; reads are not logged', async () => {
    const forged = await api.fetch('projects', { ...json({ name: 'x' }), token: 'a.b.c' });
    expect(forged.status).toBe(401);
    const requestId = forged.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await api.sql`select 1 from vidsync.audit_log where request_id = ${requestId!}`).toHaveLength(0);
    const anon = await api.fetch('projects', { ...json({ name: 'x' }), token: api.functions.anonKey });
    expect(anon.status).toBeGreaterThanOrEqual(400);
    expect(await api.sql`select 1 from vidsync.audit_log where request_id = ${anon.headers.get('x-request-id')!}`).toHaveLength(0);

    const read = await api.fetch(`ca/${projectId}`, { token: owner.accessToken });
    expect(read.status).toBe(200);
    expect(await api.sql`select 1 from vidsync.audit_log where request_id = ${read.headers.get('x-request-id')!}`).toHaveLength(0);
  });
});

describe('more actions', () => {
  it('a CA import leaves a row; a member\'s refused import too', async () => {
    const member = await api.user('audit-importer');
    await addMember(api.sql, projectId, member.id, 'member');
    const ca = await createCertificateAuthority({ name: 'imported', ips: [subnet] });
    const body = { caCertificate: ca.certificatePem, caKey: ca.privateKeyPem };
    const refused = await api.fetch(`ca/${projectId}/import`, { ...json(body), token: member.accessToken });
    expect(refused.status).toBe(403);
    const imported = await api.fetch(`ca/${projectId}/import`, { ...json(body), token: owner.accessToken });
    expect(imported.status).toBe(201);
    const rows = await api.sql`select actor_id, result, http_status from vidsync.audit_log where project_id = ${projectId} and action = 'ca.import' order by id`;
    expect(rows).toEqual([
      { actor_id: member.id, result: 'forbidden', http_status: 403 },
      { actor_id: owner.id, result: 'ok', http_status: 201 },
    ]);
  });

  it('a rate-limited request leaves a row (429 rate_limited)', async () => {
    const db = await freshDatabase();
    await db.sql`update vidsync.rate_limits set capacity = 1, refill_per_second = 0.001 where route_class = 'project_create' and scope = 'user'`;
    const limited = await startApi({ dbUrl: db.url });
    try {
      const user = await limited.user('audit-limited');
      expect((await limited.fetch('projects', { ...json({ name: 'first' }), token: user.accessToken })).status).toBe(201);
      const second = await limited.fetch('projects', { ...json({ name: 'second' }), token: user.accessToken });
      expect(second.status).toBe(429);
      const rows = await db.sql`select action, result, http_status from vidsync.audit_log where actor_id = ${user.id} order by id`;
      expect(rows).toEqual([
        { action: 'project.create', result: 'ok', http_status: 201 },
        { action: 'project.create', result: 'rate_limited', http_status: 429 },
      ]);
    } finally {
      await limited.stop();
      await db.drop();
    }
  });
});

describe('GET /nebula/audit/:projectId', () => {
  it('owners read newest first, page by page with the cursor, every row once', async () => {
    for (let i = 0; i < 3; i++) expect((await register(owner.accessToken, crypto.randomUUID())).status).toBe(200);
    const all = await page(owner.accessToken, '?limit=500');
    expect(all.status).toBe(200);
    expect(all.body.nextBefore).toBeNull();
    const ids = all.body.entries.map((e) => BigInt(e.id));
    expect(ids.length).toBeGreaterThanOrEqual(7);
    expect([...ids].sort((a, b) => (a > b ? -1 : 1))).toEqual(ids);
    expect(all.body.entries.at(-1)!.action).toBe('project.create');

    const seen: string[] = [];
    let query = '?limit=2';
    for (;;) {
      const p = await page(owner.accessToken, query);
      expect(p.status).toBe(200);
      expect(p.body.entries.length).toBeLessThanOrEqual(2);
      seen.push(...p.body.entries.map((e) => e.id));
      if (!p.body.nextBefore) break;
      query = `?limit=2&before=${p.body.nextBefore}`;
    }
    expect(seen).toEqual(all.body.entries.map((e) => e.id));
  });

  it('admins may; plain members get 403, strangers 404 (as for a project that does not exist)', async () => {
    const admin = await api.user('audit-admin');
    const member = await api.user('audit-member');
    await addMember(api.sql, projectId, admin.id, 'admin');
    await addMember(api.sql, projectId, member.id, 'member');
    expect((await page(admin.accessToken)).status).toBe(200);
    const asMember = await page(member.accessToken);
    expect([asMember.status, asMember.body.error?.code]).toEqual([403, 'forbidden']);
    const asStranger = await page(stranger.accessToken);
    expect([asStranger.status, asStranger.body.error?.code]).toEqual([404, 'not_found']);
    const missing = await api.fetch(`audit/${crypto.randomUUID()}`, { token: stranger.accessToken });
    expect(missing.status).toBe(404);
  });

  it.each(['?limit=0', '?limit=501', '?limit=ten', '?before=-1', '?before=0', '?before=99999999999999999999', '?before=1e3'])('answers 400 to %s', async (query) => {
    const p = await page(owner.accessToken, query);
    expect([p.status, p.body.error?.code]).toEqual([400, 'validation_failed']);
  });

  it('public.project_audit_log gives the SQL editor and signed-in owners the same rows', async () => {
    const viaSql = await asUser(api.sql, owner.id, 'authenticated', (tx) => tx`select id from public.project_audit_log(${projectId}, null, 500)`);
    const viaHttp = await page(owner.accessToken, '?limit=500');
    expect(viaSql.map((r) => r.id)).toEqual(viaHttp.body.entries.map((e) => e.id));
    expect(await sqlstateOf(asUser(api.sql, stranger.id, 'authenticated', (tx) => tx`select * from public.project_audit_log(${projectId})`))).toBe('VS003');
    expect(await sqlstateOf(asUser(api.sql, null, 'anon', (tx) => tx`select * from public.project_audit_log(${projectId})`))).toBe('42501');
    // No API role reads the table itself.
    for (const role of ['authenticated', 'service_role'] as const) {
      expect(await sqlstateOf(asUser(api.sql, owner.id, role, (tx) => tx`select * from vidsync.audit_log limit 1`))).toBe('42501');
    }
  });
});

describe('append-only, with retention', () => {
  let db: FreshDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(() => db?.drop());

  const append = (at: Date) => db.sql`
    insert into vidsync.audit_log (at, actor_kind, action, result, http_status, request_id)
    values (${at}, 'service', 'test.row', 'ok', 200, ${crypto.randomUUID()}) returning id`;

  it('no role updates, deletes or truncates a row younger than the retention period, the owner included', async () => {
    const [row] = await append(new Date());
    expect(await sqlstateOf(db.sql`update vidsync.audit_log set result = 'forbidden' where id = ${row!.id}`)).toBe('VS006');
    expect(await sqlstateOf(db.sql`delete from vidsync.audit_log where id = ${row!.id}`)).toBe('VS006');
    expect(await sqlstateOf(db.sql`truncate vidsync.audit_log`)).toBe('VS006');
    for (const role of ['authenticated', 'service_role', 'anon'] as const) {
      expect(await sqlstateOf(asUser(db.sql, null, role, (tx) => tx`delete from vidsync.audit_log`))).toBe('42501');
      expect(await sqlstateOf(asUser(db.sql, null, role, (tx) => tx`update vidsync.audit_log set result = 'x'`))).toBe('42501');
    }
    expect(await db.sql`select 1 from vidsync.audit_log where id = ${row!.id}`).toHaveLength(1);
  });

  it('prune_audit_log() removes what is older than vidsync.settings.audit_retention, and only that', async () => {
    await db.sql`update vidsync.settings set audit_retention = '30 days'`;
    const [old] = await append(new Date(Date.now() - 31 * 86_400_000));
    const [young] = await append(new Date(Date.now() - 29 * 86_400_000));
    // An old row's update is still refused: past retention a row may leave, never change.
    expect(await sqlstateOf(db.sql`update vidsync.audit_log set result = 'x' where id = ${old!.id}`)).toBe('VS006');
    expect(await sqlstateOf(asUser(db.sql, null, 'authenticated', (tx) => tx`select vidsync_api.prune_audit_log()`))).toBe('42501');
    const [{ pruned }] = (await asUser(db.sql, null, 'service_role', (tx) => tx`select vidsync_api.prune_audit_log() as pruned`)) as unknown as [{ pruned: string }];
    expect(Number(pruned)).toBe(1);
    expect(await db.sql`select id from vidsync.audit_log where id in (${old!.id}, ${young!.id})`).toEqual([{ id: young!.id }]);
    expect(await sqlstateOf(db.sql`update vidsync.settings set audit_retention = '1 hour'`)).toBe('23514');
  });
});
