// Pinning a device to an address chosen by an owner or admin
// (vidsync_api.pin_device_address): a free address anywhere in the pool,
// also in a chunk the lazy pool has not written yet; distinct SQLSTATEs for
// taken (VS040), cooling (VS041), out of the pool (VS042), the network or
// broadcast address (VS043); members VS004, non-members VS003.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { asUser, createUser, freshDatabase, sqlstateOf } from '../support/db.ts';
import type { FreshDatabase } from '../support/db.ts';

let db: FreshDatabase;
let sql: Sql;
let owner: string;
let admin: string;
let member: string;
let stranger: string;
let project: string;

async function register(user: string): Promise<{ id: string; ip: string }> {
  const id = crypto.randomUUID();
  const [row] = await asUser(sql, user, 'authenticated', (tx) => tx<{ ip: string }[]>`
    select host(ip) as ip from vidsync_api.register_device(${project}, ${id}, ${`dev ${id}`}, ${`key-${id}`})`);
  return { id, ip: row!.ip };
}

const pin = (user: string | null, device: string, ip: string) =>
  asUser(sql, user, user === null ? 'service_role' : 'authenticated', (tx) => tx<{ pinned_ip: string; previous_ip: string }[]>`
    select host(pinned_ip) as pinned_ip, host(previous_ip) as previous_ip from vidsync_api.pin_device_address(${device}, ${ip}::inet)`);

beforeAll(async () => {
  db = await freshDatabase();
  sql = db.sql;
  [owner, admin, member, stranger] = await Promise.all([createUser(sql), createUser(sql), createUser(sql), createUser(sql)]);
  const [p] = await asUser(sql, owner, 'authenticated', (tx) => tx<{ id: string }[]>`select id from vidsync_api.create_project('pins', '10.77.0.0/16')`);
  project = p!.id;
  await asUser(sql, owner, 'authenticated', async (tx) => {
    await tx`select vidsync_api.add_project_member(${project}, ${admin}, 'admin')`;
    await tx`select vidsync_api.add_project_member(${project}, ${member}, 'member')`;
  });
});
afterAll(async () => db?.drop());

describe('vidsync_api.pin_device_address', () => {
  it('moves a device to a free address in a chunk not written yet; the old address cools; the allocator never hands the pinned one out', async () => {
    const d = await register(member);
    expect((await sql`select 1 from vidsync.ip_pool where project_id = ${project} and ip = '10.77.200.5'::inet`).length).toBe(0);
    expect(await pin(admin, d.id, '10.77.200.5')).toEqual([{ pinned_ip: '10.77.200.5', previous_ip: d.ip }]);
    const [state] = await sql<{ overlay_ip: string; cooling: boolean; history: number }[]>`
      select host(d.overlay_ip) as overlay_ip,
             (select p.reusable_after > now() from vidsync.ip_pool p where p.project_id = ${project} and host(p.ip) = ${d.ip}) as cooling,
             (select count(*)::int from vidsync.ip_allocations a where a.device_id = d.id and a.released_at is null) as history
        from vidsync.devices d where d.id = ${d.id}`;
    expect(state).toEqual({ overlay_ip: '10.77.200.5', cooling: true, history: 1 });
    // Pinning again to the same address: nothing changes.
    expect(await pin(owner, d.id, '10.77.200.5')).toEqual([{ pinned_ip: '10.77.200.5', previous_ip: '10.77.200.5' }]);
    // Later allocations go around it (the allocator starts above the highest taken address).
    const others = await Promise.all([register(owner), register(owner)]);
    expect(others.map((o) => o.ip)).not.toContain('10.77.200.5');
    const stats = await asUser(sql, owner, 'authenticated', (tx) => tx<{ used: number; cooling: number }[]>`select used, cooling from public.project_pool_stats(${project})`);
    expect(stats[0]).toMatchObject({ used: 3, cooling: 1 });
  });

  it('refuses taken (VS040), cooling (VS041), out of the pool (VS042), network and broadcast (VS043), not a host address (VS005)', async () => {
    const a = await register(owner);
    const b = await register(owner);
    expect(await sqlstateOf(pin(owner, a.id, b.ip))).toBe('VS040');
    await pin(owner, b.id, '10.77.9.9');
    expect(await sqlstateOf(pin(owner, a.id, b.ip))).toBe('VS041'); // b's old address cools
    expect(await sqlstateOf(pin(owner, a.id, '10.78.0.1'))).toBe('VS042');
    expect(await sqlstateOf(pin(owner, a.id, '192.168.1.1'))).toBe('VS042');
    expect(await sqlstateOf(pin(owner, a.id, '10.77.0.0'))).toBe('VS043');
    expect(await sqlstateOf(pin(owner, a.id, '10.77.255.255'))).toBe('VS043');
    expect(await sqlstateOf(pin(owner, a.id, '10.77.3.0/24'))).toBe('VS005');
    expect(await sqlstateOf(pin(owner, a.id, '::1'))).toBe('VS005');
    // Nothing moved.
    const [row] = await sql<{ ip: string }[]>`select host(overlay_ip) as ip from vidsync.devices where id = ${a.id}`;
    expect(row!.ip).toBe(a.ip);
  });

  it('owners, admins and the service role may; a member may not (VS004), even for their own device; a non-member hears not found (VS003)', async () => {
    const mine = await register(member);
    expect(await sqlstateOf(pin(member, mine.id, '10.77.40.1'))).toBe('VS004');
    expect(await sqlstateOf(pin(stranger, mine.id, '10.77.40.1'))).toBe('VS003');
    expect(await sqlstateOf(pin(stranger, crypto.randomUUID(), '10.77.40.1'))).toBe('VS003');
    expect(await pin(null, mine.id, '10.77.40.1')).toHaveLength(1);
    expect(await sqlstateOf(asUser(sql, null, 'anon', (tx) => tx`select * from vidsync_api.pin_device_address(${mine.id}, '10.77.40.2'::inet)`))).toBe('42501');
  });

  it('refuses a revoked or released device (VS020)', async () => {
    const d = await register(owner);
    await asUser(sql, owner, 'authenticated', (tx) => tx`select * from vidsync_api.revoke_device(${d.id})`);
    expect(await sqlstateOf(pin(owner, d.id, '10.77.50.1'))).toBe('VS020');
  });

  it('two pins racing for one address: one wins, the other hears VS040', async () => {
    const [a, b] = await Promise.all([register(owner), register(owner)]);
    const results = await Promise.allSettled([pin(owner, a.id, '10.77.120.7'), pin(admin, b.id, '10.77.120.7')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((refused.reason as { code?: string }).code).toBe('VS040');
  });
});
