// The allocator's invariants, one by one, through the public SQL API as the
// SQL editor (a superuser session) calls it. Concurrency and RLS have their
// own suites.
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { createUser, freshDatabaseWithOwner, sqlstateOf } from '../support/db.ts';

let sql: Sql;
let owner: string;

freshDatabaseWithOwner((db) => {
  ({ sql, owner } = db);
});

async function project(subnet: string | null): Promise<{ id: string; subnet: string }> {
  const [row] = await sql<{ id: string; subnet: string }[]>`
    select id, subnet::text from vidsync_api.create_project(${`p-${crypto.randomUUID().slice(0, 8)}`}, ${subnet}::cidr, ${owner})`;
  return row!;
}

async function register(projectId: string, device: string = crypto.randomUUID()): Promise<{ device_id: string; ip: string; subnet: string }> {
  const [row] = await sql<{ device_id: string; ip: string; subnet: string }[]>`
    select device_id, host(ip) as ip, subnet::text as subnet
    from vidsync_api.register_device(${projectId}, ${device}, ${`laptop ${device}`}, 'PUBLIC KEY PEM', false, '{}', null, ${owner})`;
  return row!;
}

async function stats(projectId: string) {
  const [row] = await sql<{ total: number; used: number; free: number; cooling: number }[]>`
    select * from public.project_pool_stats(${projectId})`;
  return row!;
}

describe('allocation', () => {
  it('hands out host addresses in order, never the network or broadcast address', async () => {
    const p = await project('10.10.0.0/29');
    const ips = [];
    for (let i = 0; i < 6; i++) ips.push((await register(p.id)).ip);
    expect(ips).toEqual(['10.10.0.1', '10.10.0.2', '10.10.0.3', '10.10.0.4', '10.10.0.5', '10.10.0.6']);
    expect(await sqlstateOf(register(p.id))).toBe('VS001');
  });

  it('is idempotent: the same device gets the same address, and the history has one live row', async () => {
    const p = await project('10.10.1.0/24');
    const device = crypto.randomUUID();
    const first = await register(p.id, device);
    const second = await register(p.id, device);
    const [direct] = await sql<{ ip: string }[]>`select host(vidsync_api.allocate_nebula_ip(${p.id}, ${device}, null)) as ip`;
    expect(second.ip).toBe(first.ip);
    expect(direct!.ip).toBe(first.ip);
    expect(first.subnet).toBe('10.10.1.0/24');
    const history = await sql`select * from vidsync.ip_allocations where device_id = ${device}`;
    expect(history).toHaveLength(1);
    expect(await stats(p.id)).toEqual({ total: 254, used: 1, free: 253, cooling: 0 });
  });

  it('reports the live allocation and the project list', async () => {
    const p = await project('10.10.2.0/24');
    const a = await register(p.id);
    const [live] = await sql`select project_id, host(ip) as ip, subnet::text as subnet from public.get_device_allocation(${a.device_id})`;
    expect(live).toEqual({ project_id: p.id, ip: a.ip, subnet: '10.10.2.0/24' });
    const list = await sql`select device_id, host(ip) as ip from public.list_project_allocations(${p.id})`;
    expect(list).toEqual([{ device_id: a.device_id, ip: a.ip }]);
  });

  it('fails a /30 at the third allocation with VS001 at once', async () => {
    // Regression guard for the seed's allocator, which scanned and retried:
    // a /30 has two hosts, and the third request must fail without a loop.
    const p = await project('10.10.3.0/30');
    expect((await register(p.id)).ip).toBe('10.10.3.1');
    expect((await register(p.id)).ip).toBe('10.10.3.2');
    const t0 = performance.now();
    expect(await sqlstateOf(register(p.id))).toBe('VS001');
    expect(await stats(p.id)).toEqual({ total: 2, used: 2, free: 0, cooling: 0 });
    // Not a speed assertion, a sanity bound: a scan or retry loop would not be "at once" either way.
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('refuses unknown devices and devices of another project', async () => {
    const p = await project('10.10.4.0/24');
    const q = await project('10.10.5.0/24');
    expect(await sqlstateOf(sql`select vidsync_api.allocate_nebula_ip(${p.id}, ${crypto.randomUUID()}, null)`)).toBe('VS003');
    const a = await register(q.id);
    expect(await sqlstateOf(sql`select vidsync_api.allocate_nebula_ip(${p.id}, ${a.device_id}, null)`)).toBe('VS006');
    // Re-registering a device id in another project is a conflict.
    expect(await sqlstateOf(register(p.id, a.device_id))).toBe('VS006');
  });
});

describe('release and cooling', () => {
  it('releases into cooling until reusable_after, closes the history row, then reuses the address', async () => {
    const p = await project('10.10.8.0/30');
    const a = await register(p.id);
    const b = await register(p.id);
    await sql`select vidsync_api.release_nebula_ip(${a.device_id}, 'device lost')`;

    const [pool] = await sql<{ reusable_after: Date; cooling: string }[]>`
      select p.reusable_after, s.cooling_interval::text as cooling
      from vidsync.ip_pool p, vidsync.settings s where p.project_id = ${p.id} and p.ip = ${a.ip}::inet`;
    expect(pool!.cooling).toBe('7 days');
    const days = (pool!.reusable_after.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThan(7.01);

    const [closed] = await sql`
      select released_at is not null as released, release_reason from vidsync.ip_allocations where device_id = ${a.device_id}`;
    expect(closed).toEqual({ released: true, release_reason: 'device lost' });
    const [device] = await sql`select overlay_ip from vidsync.devices where id = ${a.device_id}`;
    expect(device!.overlay_ip).toBeNull();
    expect(await stats(p.id)).toEqual({ total: 2, used: 1, free: 0, cooling: 1 });
    expect(await sqlstateOf(sql`select * from public.get_device_allocation(${a.device_id})`)).toBe('ok');
    expect(await sql`select * from public.get_device_allocation(${a.device_id})`).toHaveLength(0);

    // While it cools, the address is not handed out: the /30 is exhausted,
    // and the hint says until when.
    const c = crypto.randomUUID();
    const refused = await register(p.id, c).catch((e: { code: string; hint: string }) => e);
    expect(refused).toMatchObject({ code: 'VS001' });
    expect((refused as { hint: string }).hint).toMatch(/reusable after/);

    // Time passes (as far as this row is concerned).
    await sql`update vidsync.ip_pool set reusable_after = now() - interval '1 second' where project_id = ${p.id} and ip = ${a.ip}::inet`;
    const reused = await register(p.id, c);
    expect(reused.ip).toBe(a.ip);
    expect(b.ip).not.toBe(a.ip);
    const history = await sql`select device_id, released_at is null as live from vidsync.ip_allocations where project_id = ${p.id} and ip = ${a.ip}::inet order by id`;
    expect(history).toEqual([
      { device_id: a.device_id, live: false },
      { device_id: c, live: true },
    ]);
  });

  it('prefers never-used addresses over cooled ones', async () => {
    const p = await project('10.10.9.0/29');
    const a = await register(p.id);
    await sql`select vidsync_api.release_nebula_ip(${a.device_id}, 'rotate')`;
    await sql`update vidsync.ip_pool set reusable_after = now() - interval '1 day' where project_id = ${p.id} and ip = ${a.ip}::inet`;
    expect((await register(p.id)).ip).toBe('10.10.9.2');
  });

  it('gives a released device a new address when it comes back', async () => {
    const p = await project('10.10.10.0/29');
    const a = await register(p.id);
    await sql`select vidsync_api.release_nebula_ip(${a.device_id}, null)`;
    const again = await register(p.id, a.device_id);
    expect(again.ip).toBe('10.10.10.2');
  });

  it('treats releasing a device without an address as a no-op, and an unknown device as VS003', async () => {
    const p = await project('10.10.11.0/29');
    const a = await register(p.id);
    await sql`select vidsync_api.release_nebula_ip(${a.device_id}, 'once')`;
    expect(await sqlstateOf(sql`select vidsync_api.release_nebula_ip(${a.device_id}, 'twice')`)).toBe('ok');
    expect(await sql`select * from vidsync.ip_allocations where device_id = ${a.device_id}`).toHaveLength(1);
    expect(await sqlstateOf(sql`select vidsync_api.release_nebula_ip(${crypto.randomUUID()}, 'x')`)).toBe('VS003');
  });

  it('keeps the history append-only', async () => {
    const p = await project('10.10.12.0/29');
    const a = await register(p.id);
    expect(await sqlstateOf(sql`update vidsync.ip_allocations set ip = '10.10.12.6' where device_id = ${a.device_id}`)).toBe('VS006');
    expect(await sqlstateOf(sql`delete from vidsync.ip_allocations where device_id = ${a.device_id}`)).toBe('VS006');
    await sql`select vidsync_api.release_nebula_ip(${a.device_id}, 'x')`;
    expect(await sqlstateOf(sql`update vidsync.ip_allocations set release_reason = 'y' where device_id = ${a.device_id}`)).toBe('VS006');
  });
});

describe('pools and subnets', () => {
  it('creates a /16 without writing its 65,534 addresses; populate_project_pool writes them all, idempotently', async () => {
    const p = await project('10.20.0.0/16');
    expect(await stats(p.id)).toEqual({ total: 65_534, used: 0, free: 65_534, cooling: 0 });
    // Creation writes the first chunk of the pool only (1/256 of a /16); the allocator writes the rest when needed.
    const [written] = await sql<{ n: number }[]>`select count(*)::int as n from vidsync.ip_pool where project_id = ${p.id}`;
    expect(written!.n).toBe(255);
    const [added] = await sql<{ added: number }[]>`select vidsync_api.populate_project_pool(${p.id}, '10.20.0.0/16') as added`;
    expect(added!.added).toBe(65_534 - 255);
    const [again] = await sql<{ added: number }[]>`select vidsync_api.populate_project_pool(${p.id}, '10.20.0.0/16') as added`;
    expect(again!.added).toBe(0);
    expect(await stats(p.id)).toEqual({ total: 65_534, used: 0, free: 65_534, cooling: 0 });
    const [edges] = await sql`select host(min(ip)) as first, host(max(ip)) as last from vidsync.ip_pool where project_id = ${p.id}`;
    expect(edges).toEqual({ first: '10.20.0.1', last: '10.20.255.254' });
  });

  it('validates subnets: IPv4 only, /16 to /30, pools inside the project subnet', async () => {
    expect(await sqlstateOf(project('10.30.0.0/15'))).toBe('VS005');
    expect(await sqlstateOf(project('10.30.0.0/31'))).toBe('VS005');
    expect(await sqlstateOf(project('fd00::/112'))).toBe('VS005');
    expect(await sqlstateOf(project('not a subnet'))).toBe('22P02');
    const p = await project('10.30.0.0/24');
    expect(await sqlstateOf(sql`select vidsync_api.populate_project_pool(${p.id}, '10.31.0.0/24')`)).toBe('VS005');
    expect(await sqlstateOf(sql`select vidsync_api.populate_project_pool(${crypto.randomUUID()}, '10.31.0.0/24')`)).toBe('VS003');
  });

  it('refuses overlapping subnets with VS002, in either direction', async () => {
    await project('10.40.0.0/24');
    expect(await sqlstateOf(project('10.40.0.0/24'))).toBe('VS002');
    expect(await sqlstateOf(project('10.40.0.128/25'))).toBe('VS002');
    expect(await sqlstateOf(project('10.40.0.0/16'))).toBe('VS002');
    // And the constraint itself, below the function: 23P01.
    expect(await sqlstateOf(sql`insert into vidsync.projects (name, owner_id, subnet) values ('x', ${owner}, '10.40.0.0/23')`)).toBe('23P01');
  });

  it('assigns a free /24 of the automatic range, skipping the owner\'s subnets and the avoided ranges', async () => {
    // Four blocks: one avoided, two taken by the owner, one left.
    await sql`update vidsync.settings set supernet = '10.99.0.0/22', auto_subnet_avoid = '{10.99.3.0/24}'`;
    try {
      await project('10.99.0.0/24');
      await project('10.99.1.128/25');
      const free = await project(null);
      expect(free.subnet).toBe('10.99.2.0/24');
      expect(await sqlstateOf(project(null))).toBe('VS001');
      // Another user's projects do not count.
      const other = await createUser(sql);
      const [theirs] = await sql<{ subnet: string }[]>`select subnet::text from vidsync_api.create_project('theirs', null, ${other})`;
      expect(theirs!.subnet).not.toBe('10.99.3.0/24');
    } finally {
      await sql`update vidsync.settings set supernet = default, auto_subnet_avoid = default`;
    }
  });
});
