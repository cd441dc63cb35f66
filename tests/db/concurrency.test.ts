// The allocator and subnet assignment under real concurrency: many
// connections, one pool, and the constraints (not application checks) as the
// only referee.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { asUser, createUser, freshDatabase, sqlstateOf } from '../support/db.ts';
import type { FreshDatabase } from '../support/db.ts';

const CONNECTIONS = 24;

let db: FreshDatabase;
let sql: Sql;
let owner: string;

beforeAll(async () => {
  db = await freshDatabase({ max: CONNECTIONS });
  sql = db.sql;
  owner = await createUser(sql);
  // Open every connection now, so the races below are not staggered by connects.
  await Promise.all(Array.from({ length: CONNECTIONS }, () => sql`select pg_sleep(0.05)`));
});
afterAll(async () => db?.drop());

async function createProject(subnet: string | null, by: string = owner): Promise<{ id: string; subnet: string }> {
  const [row] = await sql<{ id: string; subnet: string }[]>`
    select id, subnet::text as subnet from vidsync_api.create_project('race', ${subnet}::cidr, ${by})`;
  return row!;
}

describe('allocation races', () => {
  it('1000 concurrent requests into a pool of 500: exactly 500 distinct addresses, 500 × VS001, nothing else', async () => {
    const project = await createProject('10.50.0.0/23'); // 510 hosts
    // Shrink the pool to exactly 500 addresses.
    await sql`delete from vidsync.ip_pool where project_id = ${project.id}
              and ip in (select ip from vidsync.ip_pool where project_id = ${project.id} order by ip desc limit 10)`;
    const devices = await sql<{ id: string }[]>`
      insert into vidsync.devices (id, project_id, owner_id, name, public_key)
      select gen_random_uuid(), ${project.id}, ${owner}, 'device ' || n, 'key'
      from generate_series(1, 1000) n
      returning id`;

    // As the edge function does it: one transaction per request, service role.
    const outcomes = await Promise.all(
      devices.map(({ id }) =>
        asUser(sql, null, 'service_role', (tx) => tx<{ ip: string }[]>`select host(vidsync_api.allocate_nebula_ip(${project.id}, ${id}, null)) as ip`)
          .then(([row]) => ({ ip: row!.ip }))
          .catch((e: { code?: string; message?: string }) => ({ error: e.code ?? String(e.message) })),
      ),
    );

    const ips = outcomes.flatMap((o) => ('ip' in o ? [o.ip] : []));
    const errors = outcomes.flatMap((o) => ('error' in o ? [o.error] : []));
    expect(ips).toHaveLength(500);
    expect(new Set(ips).size).toBe(500);
    expect(errors).toHaveLength(500);
    expect(new Set(errors)).toEqual(new Set(['VS001']));

    const [check] = await sql`
      select (select count(*)::int from vidsync.ip_allocations where project_id = ${project.id} and released_at is null) as live,
             (select count(distinct ip)::int from vidsync.ip_allocations where project_id = ${project.id}) as distinct_ips,
             (select count(*)::int from vidsync.devices where project_id = ${project.id} and overlay_ip is not null) as devices_with_ip`;
    expect(check).toEqual({ live: 500, distinct_ips: 500, devices_with_ip: 500 });
  });

  it('many concurrent requests for one device return one address and one history row', async () => {
    const project = await createProject('10.51.0.0/24');
    const device = crypto.randomUUID();
    const requests = Array.from({ length: 40 }, () =>
      sql<{ ip: string }[]>`
        select host(ip) as ip from vidsync_api.register_device(${project.id}, ${device}, 'twin', 'key', false, '{}', null, ${owner})`,
    );
    const ips = new Set((await Promise.all(requests)).map(([row]) => row!.ip));
    // Registrations of one id take turns: the first allocates, the others find the device.
    expect(ips).toEqual(new Set(['10.51.0.1']));
    expect(await sql`select * from vidsync.ip_allocations where device_id = ${device}`).toHaveLength(1);
    const [next] = await sql<{ ip: string }[]>`
      select host(ip) as ip from vidsync_api.register_device(${project.id}, ${crypto.randomUUID()}, 'next', 'key', false, '{}', null, ${owner})`;
    expect(next!.ip).toBe('10.51.0.2');
    expect(await sql`select 1 from vidsync.ip_pool where project_id = ${project.id} and device_id is not null`).toHaveLength(2);
  });
});

describe('subnet races', () => {
  it('concurrent creations of the same subnet: one wins, the others get VS002 (never a deadlock error)', async () => {
    // Overlapping inserts into an exclusion constraint deadlock each other
    // (40P01) when they arrive together; create_project must hide that.
    for (let round = 0; round < 20; round++) {
      const subnet = `10.60.${round}.0/24`;
      const results = await Promise.all([
        sqlstateOf(createProject(subnet)),
        sqlstateOf(createProject(subnet)),
        sqlstateOf(createProject(`10.60.${round}.128/25`)),
      ]);
      expect(results.sort()).toEqual(['VS002', 'VS002', 'ok']);
    }
    expect(await sql`select * from vidsync.projects where subnet <<= '10.60.0.0/16'`).toHaveLength(20);
  });

  it('concurrent automatic subnets all succeed, with different blocks', async () => {
    const created = await Promise.all(Array.from({ length: 12 }, () => createProject(null)));
    const subnets = created.map((p) => p.subnet);
    expect(new Set(subnets).size).toBe(12);
    for (const s of subnets) expect(s).toMatch(/^10\.\d+\.\d+\.0\/24$/);
    const [overlaps] = await sql`
      select count(*)::int as n from vidsync.projects a join vidsync.projects b on a.id < b.id and a.subnet && b.subnet
      where a.owner_id = ${owner} and b.owner_id = ${owner}`;
    expect(overlaps!.n).toBe(0);
  });

  it('automatic subnets race explicit ones without failing', async () => {
    // A range of eight blocks: the explicit creations take four of them while
    // the automatic ones pick theirs; the automatic ones must move on, not fail.
    await sql`update vidsync.settings set supernet = '10.98.0.0/21', auto_subnet_avoid = '{}'`;
    const racer = await createUser(sql);
    const explicit = Array.from({ length: 4 }, (_, i) => createProject(`10.98.${2 * i}.0/24`, racer).then(() => 'ok', (e: { code: string }) => e.code));
    const automatic = Array.from({ length: 4 }, () => createProject(null, racer).then(() => 'ok', (e: { code: string }) => e.code));
    const automaticResults = await Promise.all(automatic);
    const explicitResults = await Promise.all(explicit);
    expect(automaticResults).toEqual(['ok', 'ok', 'ok', 'ok']);
    // An explicit creation may lose its block to an automatic one that got there first.
    for (const r of explicitResults) expect(['ok', 'VS002']).toContain(r);
    const [overlaps] = await sql`
      select count(*)::int as n from vidsync.projects a join vidsync.projects b on a.id < b.id and a.subnet && b.subnet
      where a.owner_id = ${racer} and b.owner_id = ${racer}`;
    expect(overlaps!.n).toBe(0);
    await sql`update vidsync.settings set supernet = default, auto_subnet_avoid = default`;
  });
});
