// The device lifecycle in SQL: the reclaim job (devices unseen for their
// project's reclaim_after are released, their certificates revoked, their
// addresses cooling), revocation on release and on a new public key, and a
// revoked device refused every further change.
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { asUser, freshDatabaseWithOwner, registerDeviceAs, sqlstateOf } from '../support/db.ts';
import { insertFakeCa, insertFakeCertificate } from '../support/fake-certificates.ts';

let sql: Sql;
let owner: string;
let project: string;
let ca: string;

async function device(lastSeen: string | null): Promise<{ id: string; ip: string; cert: string }> {
  const { id, ip } = await registerDeviceAs(sql, owner, project);
  const cert = await insertFakeCertificate(sql, { projectId: project, deviceId: id, caFingerprint: ca, ip, since: '40 days', until: '5 days' });
  await sql`update vidsync.devices set last_seen_at = ${lastSeen === null ? null : sql`now() - ${lastSeen}::interval`}, created_at = now() - interval '60 days' where id = ${id}`;
  return { id, ip, cert };
}

freshDatabaseWithOwner(async (db) => {
  ({ sql, owner } = db);
  const [p] = await asUser(sql, owner, 'authenticated', (tx) => tx<{ id: string }[]>`select id from vidsync_api.create_project('reclaim', null)`);
  project = p!.id;
  ca = await insertFakeCa(sql, project, { since: '1 year', until: '1 year' });
});

describe('vidsync_api.reclaim_unseen_devices', () => {
  it('keeps a device seen yesterday; releases, revokes and cools one unseen for 31 days (and one never seen since registering 60 days ago)', async () => {
    const recent = await device('1 day');
    const stale = await device('31 days');
    const silent = await device(null);

    const done = await asUser(sql, null, 'service_role', (tx) => tx<{ device_id: string; released_ip: string; revoked_certificates: number }[]>`
      select device_id, host(released_ip) as released_ip, revoked_certificates from vidsync_api.reclaim_unseen_devices()`);
    expect(done.map((r) => r.device_id).sort()).toEqual([stale.id, silent.id].sort());
    expect(done.find((r) => r.device_id === stale.id)).toMatchObject({ released_ip: stale.ip, revoked_certificates: 1 });

    const state = await sql<{ id: string; overlay_ip: string | null; revoked: boolean; cooling: boolean | null }[]>`
      select d.id, host(d.overlay_ip) as overlay_ip,
             (select c.revoked_at is not null from vidsync.issued_certificates c where c.device_id = d.id) as revoked,
             (select p.reusable_after > now() + interval '6 days' from vidsync.ip_pool p
               where p.project_id = d.project_id and host(p.ip) = ${stale.ip} and d.id = ${stale.id}) as cooling
        from vidsync.devices d where d.id in (${recent.id}, ${stale.id})`;
    const byId = Object.fromEntries(state.map((r) => [r.id, r]));
    expect(byId[recent.id]).toMatchObject({ overlay_ip: recent.ip, revoked: false });
    expect(byId[stale.id]).toMatchObject({ overlay_ip: null, revoked: true, cooling: true });
    // Run again: nothing left to do.
    expect(await asUser(sql, null, 'service_role', (tx) => tx`select * from vidsync_api.reclaim_unseen_devices()`)).toHaveLength(0);
  });

  it('follows the project\'s reclaim_after, and refuses users', async () => {
    await sql`update vidsync.projects set reclaim_after = interval '2 days' where id = ${project}`;
    const d = await device('3 days');
    expect(await sqlstateOf(asUser(sql, owner, 'authenticated', (tx) => tx`select * from vidsync_api.reclaim_unseen_devices()`))).toBe('VS004');
    const done = await sql<{ device_id: string }[]>`select device_id from vidsync_api.reclaim_unseen_devices()`;
    expect(done.map((r) => r.device_id)).toEqual([d.id]);
    await sql`update vidsync.projects set reclaim_after = interval '30 days' where id = ${project}`;
  });
});

describe('revocation in SQL', () => {
  it('a new public key revokes the certificates of the old one; the same key with other whitespace does not', async () => {
    const d = await device('1 hour');
    await sql`update vidsync.devices set public_key = public_key || '  ' where id = ${d.id}`;
    expect((await sql`select 1 from vidsync.issued_certificates where fingerprint = ${d.cert} and revoked_at is null`).length).toBe(1);
    await sql`update vidsync.devices set public_key = 'another key' where id = ${d.id}`;
    expect((await sql`select 1 from vidsync.issued_certificates where fingerprint = ${d.cert} and revoked_at is not null`).length).toBe(1);
  });

  it('revoke_device: certificates revoked, address released, then VS020 for renewal, heartbeat, registration and API key', async () => {
    const d = await device('1 hour');
    const [r] = await asUser(sql, owner, 'authenticated', (tx) => tx<{ revoked_certificates: number }[]>`select * from vidsync_api.revoke_device(${d.id}, 'lost')`);
    expect(r!.revoked_certificates).toBe(1);
    const as = (q: (tx: Parameters<Parameters<typeof asUser>[3]>[0]) => Promise<unknown>) => sqlstateOf(asUser(sql, owner, 'authenticated', q));
    expect(await as((tx) => tx`select * from vidsync_api.prepare_renewal(${d.id})`)).toBe('VS020');
    expect(await as((tx) => tx`select * from vidsync_api.device_heartbeat(${d.id}, '{}')`)).toBe('VS020');
    expect(await as((tx) => tx`select * from vidsync_api.register_device(${project}, ${d.id}, ${`dev ${d.id}`}, 'k2')`)).toBe('VS020');
    expect(await as((tx) => tx`select vidsync_api.set_device_api_key(${d.id}, ${'A'.repeat(43) + '='})`)).toBe('VS020');
    // The owner in the SQL editor may clear it; then the device registers again.
    await sql`update vidsync.devices set revoked_at = null where id = ${d.id}`;
    expect(await as((tx) => tx`select * from vidsync_api.register_device(${project}, ${d.id}, ${`dev ${d.id}`}, 'k2')`)).toBe('ok');
  });
});
