// The SQL editor's admin views (migration 20251130121000): usage and quotas
// per project, devices not seen for N days, certificates expiring within N
// days, the busiest projects; each answers as `postgres` and the service
// role with what the data says, and is refused to anon and authenticated
// (42501), who would otherwise read every project.
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { asUser, createUser, freshDatabaseWithOwner, registerDeviceAs, sqlstateOf } from '../support/db.ts';
import { insertFakeCa, insertFakeCertificate } from '../support/fake-certificates.ts';

let sql: Sql;
let owner: string;
let member: string;
let busy: string;
let quiet: string;

async function project(name: string, subnet: string, caDays: number): Promise<string> {
  const [p] = await asUser(sql, owner, 'authenticated', (tx) => tx<{ id: string }[]>`select id from vidsync_api.create_project(${name}, ${subnet}::cidr)`);
  await insertFakeCa(sql, p!.id, { since: '1 day', until: `${caDays} days` });
  return p!.id;
}

async function device(projectId: string, name: string, seenDaysAgo: number, certDays: number | null): Promise<string> {
  const { id, ip } = await registerDeviceAs(sql, member, projectId, name);
  if (certDays !== null) {
    const [ca] = await sql<{ fingerprint: string }[]>`select fingerprint from vidsync.project_cas where project_id = ${projectId}`;
    // An older certificate expiring sooner, renewed past: only the newest counts.
    for (const days of [certDays / 2, certDays]) {
      await insertFakeCertificate(sql, { projectId, deviceId: id, caFingerprint: ca!.fingerprint, ip, since: '1 day', until: `${days * 86400} seconds` });
    }
  }
  await sql`update vidsync.devices set last_seen_at = now() - make_interval(days => ${seenDaysAgo}) where id = ${id}`;
  return id;
}

async function auditRows(projectId: string, action: string, result: string, n: number, daysAgo = 0): Promise<void> {
  await sql`insert into vidsync.audit_log (at, actor_kind, action, project_id, result, http_status, request_id)
            select now() - make_interval(days => ${daysAgo}), 'service', ${action}, ${projectId}, ${result}, ${result === 'ok' ? 200 : 403}, 'req-' || g
              from generate_series(1, ${n}) g`;
}

freshDatabaseWithOwner(async (db) => {
  ({ sql, owner } = db);
  member = await createUser(sql);
  busy = await project('busy', '10.77.0.0/24', 10);
  quiet = await project('quiet', '10.78.0.0/28', 400);
  for (const p of [busy, quiet]) await asUser(sql, owner, 'authenticated', (tx) => tx`select vidsync_api.add_project_member(${p}, ${member}, 'member')`);
  await auditRows(busy, 'device.register', 'ok', 5);
  await auditRows(busy, 'device.renew', 'ok', 3);
  await auditRows(busy, 'device.register', 'forbidden', 2);
  await auditRows(busy, 'device.register', 'ok', 50, 40); // outside a 30-day window
  await auditRows(quiet, 'device.heartbeat', 'ok', 4);
});

describe('admin views', () => {
  it('admin_project_usage: members, live devices, pool use and the quotas of every project', async () => {
    await device(busy, 'a', 0, null);
    await device(busy, 'b', 0, null);
    const rows = await sql`select * from vidsync_api.admin_project_usage() where project_id in (${busy}, ${quiet})`;
    const byId = Object.fromEntries(rows.map((r) => [r.project_id, r]));
    expect(byId[busy]).toMatchObject({ name: 'busy', owner_id: owner, members: 2, live_devices: 2, pool_size: 254, pool_used: 2, pool_cooling: 0, pool_free: 252, owner_projects: 2, max_projects_per_user: 100, max_devices_per_project: 1000, trusted_cas: 1 });
    expect(byId[quiet]).toMatchObject({ members: 2, live_devices: 0, pool_size: 14, pool_used: 0, pool_free: 14 });
    // Most used pool first.
    expect(rows[0]!.project_id).toBe(busy);
  });

  it('admin_unseen_devices(N): live devices silent for N days, longest first; revoked ones are not listed', async () => {
    const old = await device(quiet, 'old', 45, null);
    const older = await device(quiet, 'older', 90, null);
    const revoked = await device(quiet, 'gone', 100, null);
    await sql`update vidsync.devices set revoked_at = now() where id = ${revoked}`;
    await device(quiet, 'fresh', 1, null);
    const rows = await sql`select device_id, name, project_name, unseen_for from vidsync_api.admin_unseen_devices(30) where project_id = ${quiet}`;
    expect(rows.map((r) => r.device_id)).toEqual([older, old]);
    expect(rows[0]).toMatchObject({ name: 'older', project_name: 'quiet' });
    expect((await sql`select 1 from vidsync_api.admin_unseen_devices(60) where project_id = ${quiet}`).length).toBe(1);
  });

  it('admin_expiring_certificates(N): CAs and each live device\'s newest certificate expiring within N days, soonest first', async () => {
    const soon = await device(busy, 'soon', 0, 3);
    const later = await device(busy, 'later', 0, 30);
    const rows = await sql`select kind, device_id, device_name, not_after from vidsync_api.admin_expiring_certificates(14) where project_id in (${busy}, ${quiet})`;
    expect(rows.map((r) => [r.kind, r.device_name])).toEqual([['device', 'soon'], ['ca', null]]);
    expect(rows[0]!.device_id).toBe(soon);
    expect(Date.parse(rows[0]!.not_after) - Date.now()).toBeGreaterThan(2.9 * 86400_000); // the newest, not the renewed-past one (1.5 days)
    const wide = await sql`select kind, device_id from vidsync_api.admin_expiring_certificates(60) where project_id in (${busy}, ${quiet})`;
    expect(wide.map((r) => r.device_id ?? r.kind)).toEqual([soon, 'ca', later]);
  });

  it('admin_busiest_projects(N, max): audited actions in the window, busiest first, with registrations, renewals and refusals', async () => {
    const rows = await sql`select * from vidsync_api.admin_busiest_projects(30, 10) where project_id in (${busy}, ${quiet})`;
    expect(rows.map((r) => [r.name, r.audit_rows, r.registrations, r.renewals, r.refusals])).toEqual([
      ['busy', 10, 5, 3, 2],
      ['quiet', 4, 0, 0, 0],
    ]);
    expect((await sql`select * from vidsync_api.admin_busiest_projects(60, 1)`)[0]).toMatchObject({ project_id: busy, audit_rows: 60 });
  });

  it('refuse a window outside 0..3650 days (VS005)', async () => {
    expect(await sqlstateOf(sql`select * from vidsync_api.admin_unseen_devices(-1)`)).toBe('VS005');
    expect(await sqlstateOf(sql`select * from vidsync_api.admin_expiring_certificates(null)`)).toBe('VS005');
    expect(await sqlstateOf(sql`select * from vidsync_api.admin_busiest_projects(100000)`)).toBe('VS005');
  });

  it('answer the service role; refuse anon and authenticated, members and owners alike (42501)', async () => {
    const calls = [
      (tx: Sql) => tx`select * from vidsync_api.admin_project_usage()`,
      (tx: Sql) => tx`select * from vidsync_api.admin_unseen_devices(30)`,
      (tx: Sql) => tx`select * from vidsync_api.admin_expiring_certificates(30)`,
      (tx: Sql) => tx`select * from vidsync_api.admin_busiest_projects(30)`,
    ];
    for (const call of calls) {
      expect(await asUser(sql, null, 'service_role', async (tx) => (await call(tx as unknown as Sql)).length)).toBeGreaterThan(0);
      for (const [who, role] of [[owner, 'authenticated'], [member, 'authenticated'], [null, 'anon']] as const) {
        expect(await sqlstateOf(asUser(sql, who, role, (tx) => call(tx as unknown as Sql)))).toBe('42501');
      }
    }
  });
});
