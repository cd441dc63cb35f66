// Pinning a device to an address chosen by an owner or admin
// (vidsync_api.pin_device_address): a free address anywhere in the pool,
// also in a chunk the lazy pool has not written yet; distinct SQLSTATEs for
// taken (VS040), cooling (VS041), out of the pool (VS042), the network or
// broadcast address (VS043); members VS004, non-members VS003.
import { describe, expect, it } from 'vitest';
import { asUser, freshDatabaseWithTeam, registerDeviceAs, sqlstateOf } from '../support/db.ts';

const db = freshDatabaseWithTeam('pins', '10.77.0.0/16');

const register = (user: string) => registerDeviceAs(db.sql, user, db.project);

const pin = (user: string | null, device: string, ip: string) =>
  asUser(db.sql, user, user === null ? 'service_role' : 'authenticated', (tx) => tx<{ pinned_ip: string; previous_ip: string }[]>`
    select host(pinned_ip) as pinned_ip, host(previous_ip) as previous_ip from vidsync_api.pin_device_address(${device}, ${ip}::inet)`);


describe('vidsync_api.pin_device_address', () => {
  it('moves a device to a free address in a chunk not written yet; the old address cools; the allocator never hands the pinned one out', async () => {
    const d = await register(db.member);
    expect((await db.sql`select 1 from vidsync.ip_pool where project_id = ${db.project} and ip = '10.77.200.5'::inet`).length).toBe(0);
    expect(await pin(db.admin, d.id, '10.77.200.5')).toEqual([{ pinned_ip: '10.77.200.5', previous_ip: d.ip }]);
    const [state] = await db.sql<{ overlay_ip: string; cooling: boolean; history: number }[]>`
      select host(d.overlay_ip) as overlay_ip,
             (select p.reusable_after > now() from vidsync.ip_pool p where p.project_id = ${db.project} and host(p.ip) = ${d.ip}) as cooling,
             (select count(*)::int from vidsync.ip_allocations a where a.device_id = d.id and a.released_at is null) as history
        from vidsync.devices d where d.id = ${d.id}`;
    expect(state).toEqual({ overlay_ip: '10.77.200.5', cooling: true, history: 1 });
    // Pinning again to the same address: nothing changes.
    expect(await pin(db.owner, d.id, '10.77.200.5')).toEqual([{ pinned_ip: '10.77.200.5', previous_ip: '10.77.200.5' }]);
    // Later allocations go around it (the allocator starts above the highest taken address).
    const others = await Promise.all([register(db.owner), register(db.owner)]);
    expect(others.map((o) => o.ip)).not.toContain('10.77.200.5');
    const stats = await asUser(db.sql, db.owner, 'authenticated', (tx) => tx<{ used: number; cooling: number }[]>`select used, cooling from public.project_pool_stats(${db.project})`);
    expect(stats[0]).toMatchObject({ used: 3, cooling: 1 });
  });

  it('refuses taken (VS040), cooling (VS041), out of the pool (VS042), network and broadcast (VS043), not a host address (VS005)', async () => {
    const a = await register(db.owner);
    const b = await register(db.owner);
    expect(await sqlstateOf(pin(db.owner, a.id, b.ip))).toBe('VS040');
    await pin(db.owner, b.id, '10.77.9.9');
    expect(await sqlstateOf(pin(db.owner, a.id, b.ip))).toBe('VS041'); // b's old address cools
    expect(await sqlstateOf(pin(db.owner, a.id, '10.78.0.1'))).toBe('VS042');
    expect(await sqlstateOf(pin(db.owner, a.id, '192.168.1.1'))).toBe('VS042');
    expect(await sqlstateOf(pin(db.owner, a.id, '10.77.0.0'))).toBe('VS043');
    expect(await sqlstateOf(pin(db.owner, a.id, '10.77.255.255'))).toBe('VS043');
    expect(await sqlstateOf(pin(db.owner, a.id, '10.77.3.0/24'))).toBe('VS005');
    expect(await sqlstateOf(pin(db.owner, a.id, '::1'))).toBe('VS005');
    // Nothing moved.
    const [row] = await db.sql<{ ip: string }[]>`select host(overlay_ip) as ip from vidsync.devices where id = ${a.id}`;
    expect(row!.ip).toBe(a.ip);
  });

  it('owners, admins and the service role may; a member may not (VS004), even for their own device; a non-member hears not found (VS003)', async () => {
    const mine = await register(db.member);
    expect(await sqlstateOf(pin(db.member, mine.id, '10.77.40.1'))).toBe('VS004');
    expect(await sqlstateOf(pin(db.stranger, mine.id, '10.77.40.1'))).toBe('VS003');
    expect(await sqlstateOf(pin(db.stranger, crypto.randomUUID(), '10.77.40.1'))).toBe('VS003');
    expect(await pin(null, mine.id, '10.77.40.1')).toHaveLength(1);
    expect(await sqlstateOf(asUser(db.sql, null, 'anon', (tx) => tx`select * from vidsync_api.pin_device_address(${mine.id}, '10.77.40.2'::inet)`))).toBe('42501');
  });

  it('refuses a revoked or released device (VS020)', async () => {
    const d = await register(db.owner);
    await asUser(db.sql, db.owner, 'authenticated', (tx) => tx`select * from vidsync_api.revoke_device(${d.id})`);
    expect(await sqlstateOf(pin(db.owner, d.id, '10.77.50.1'))).toBe('VS020');
  });

  it('two pins racing for one address: one wins, the other hears VS040', async () => {
    const [a, b] = await Promise.all([register(db.owner), register(db.owner)]);
    const results = await Promise.allSettled([pin(db.owner, a.id, '10.77.120.7'), pin(db.admin, b.id, '10.77.120.7')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((refused.reason as { code?: string }).code).toBe('VS040');
  });
});
