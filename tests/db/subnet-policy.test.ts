// Which subnets a project may have: private ranges the deployment allows,
// disjoint only among the projects one user's devices join (see the subnet
// policy migration), and automatic ones drawn at random.
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { createUser, freshDatabaseWithOwner, sqlstateOf, whileHeldOpen } from '../support/db.ts';

let sql: Sql;

freshDatabaseWithOwner((db) => {
  sql = db.sql;
}, { max: 8 });

async function project(owner: string, subnet: string | null): Promise<{ id: string; subnet: string }> {
  const [row] = await sql<{ id: string; subnet: string }[]>`
    select id, subnet::text from vidsync_api.create_project('p', ${subnet}::cidr, ${owner})`;
  return row!;
}

async function register(projectId: string, user: string, device: string = crypto.randomUUID()): Promise<string> {
  const [row] = await sql<{ ip: string }[]>`
    select host(ip) as ip from vidsync_api.register_device(${projectId}, ${device}, ${`laptop ${device}`}, 'PUBLIC KEY PEM', false, '{}', null, ${user})`;
  return row!.ip;
}

async function member(projectId: string, user: string): Promise<void> {
  await sql`insert into vidsync.project_members (project_id, user_id, role) values (${projectId}, ${user}, 'member')`;
}

describe('private ranges only', () => {
  it('refuses public, loopback, "this network" and multicast subnets with VS005', async () => {
    const owner = await createUser(sql);
    for (const subnet of ['8.8.8.0/24', '127.0.0.0/24', '0.0.0.0/24', '224.0.0.0/24', '1.1.1.0/24', '169.254.1.0/24', '11.0.0.0/16', '172.32.0.0/24']) {
      expect(await sqlstateOf(project(owner, subnet)), subnet).toBe('VS005');
    }
    for (const subnet of ['10.5.0.0/24', '172.16.9.0/24', '172.31.255.0/24', '192.168.77.0/24']) {
      expect((await project(owner, subnet)).subnet).toBe(subnet);
    }
  });

  it('takes 100.64.0.0/10 (RFC 6598) only when the settings allow it', async () => {
    const owner = await createUser(sql);
    expect(await sqlstateOf(project(owner, '100.64.7.0/24'))).toBe('VS005');
    await sql`update vidsync.settings set allowed_ranges = allowed_ranges || '100.64.0.0/10'::cidr`;
    try {
      expect((await project(owner, '100.64.7.0/24')).subnet).toBe('100.64.7.0/24');
    } finally {
      await sql`update vidsync.settings set allowed_ranges = default`;
    }
  });

  it('only allows what the deployment permits, and the settings themselves only hold private ranges', async () => {
    const owner = await createUser(sql);
    await sql`update vidsync.settings set allowed_ranges = '{10.0.0.0/8}'`;
    try {
      expect(await sqlstateOf(project(owner, '192.168.50.0/24'))).toBe('VS005');
      expect((await project(owner, '10.77.0.0/24')).subnet).toBe('10.77.0.0/24');
    } finally {
      await sql`update vidsync.settings set allowed_ranges = default`;
    }
    // check_violation: a public range, or an automatic range outside the allowed ones.
    expect(await sqlstateOf(sql`update vidsync.settings set allowed_ranges = '{8.8.0.0/16}'`)).toBe('23514');
    expect(await sqlstateOf(sql`update vidsync.settings set supernet = '8.0.0.0/8'`)).toBe('23514');
  });
});

describe('disjoint where a device is shared', () => {
  it('lets different owners use the same subnet', async () => {
    const [a, b] = [await createUser(sql), await createUser(sql)];
    await project(a, '10.123.0.0/24');
    expect((await project(b, '10.123.0.0/24')).subnet).toBe('10.123.0.0/24');
    // One owner still cannot overlap their own projects: VS002, and 23P01 below the function.
    expect(await sqlstateOf(project(a, '10.123.0.128/25'))).toBe('VS002');
    expect(await sqlstateOf(sql`insert into vidsync.projects (name, owner_id, subnet) values ('x', ${a}, '10.123.0.0/16')`)).toBe('23P01');
  });

  it('refuses with VS010 a user\'s first device in a project that overlaps another where they have devices', async () => {
    const [alice, bob, carol] = [await createUser(sql), await createUser(sql), await createUser(sql)];
    const p = await project(alice, '10.124.0.0/24');
    const q = await project(bob, '10.124.0.0/23');
    await member(p.id, carol);
    await member(q.id, carol);
    await register(p.id, carol);
    // Carol's machine cannot route both 10.124.0.0/24 and 10.124.0.0/23.
    const refused = await register(q.id, carol).catch((e: { code: string; message: string }) => e);
    expect(refused).toMatchObject({ code: 'VS010' });
    expect((refused as { message: string }).message).toContain(p.id);
    // Nothing was left behind: no device row, no address, no claim.
    const [left] = await sql<{ devices: number; claims: number }[]>`
      select (select count(*)::int from vidsync.devices where project_id = ${q.id} and owner_id = ${carol}) as devices,
             (select count(*)::int from vidsync.user_subnets where project_id = ${q.id} and user_id = ${carol}) as claims`;
    expect(left).toEqual({ devices: 0, claims: 0 });
    // Her next devices in p are fine, and bob's own devices in q too.
    await register(p.id, carol);
    await register(q.id, bob);
  });

  it('two concurrent first registrations of one user in overlapping projects: exactly one wins', async () => {
    const [alice, bob, carol] = [await createUser(sql), await createUser(sql), await createUser(sql)];
    for (let round = 0; round < 10; round++) {
      const p = await project(alice, `10.125.${round}.0/24`);
      const q = await project(bob, `10.125.${round}.0/24`);
      await member(p.id, carol);
      await member(q.id, carol);
      const results = await Promise.all([sqlstateOf(register(p.id, carol)), sqlstateOf(register(q.id, carol))]);
      expect(results.sort()).toEqual(['VS010', 'ok']);
    }
  });
});

describe('automatic subnets', () => {
  it('are random /24s of 10.0.0.0/8 outside the avoided ranges, and never overlap the owner\'s projects', async () => {
    const owner = await createUser(sql);
    const subnets = [];
    for (let i = 0; i < 40; i++) subnets.push((await project(owner, null)).subnet);
    expect(new Set(subnets).size).toBe(40);
    const [check] = await sql<{ outside: number; avoided: number }[]>`
      select count(*) filter (where not s <<= '10.0.0.0/8')::int as outside,
             count(*) filter (where exists (select 1 from vidsync.settings, unnest(auto_subnet_avoid) a where s && a))::int as avoided
      from unnest(${subnets}::cidr[]) s`;
    expect(check).toEqual({ outside: 0, avoided: 0 });
    // Random, not the next block: 40 picks from 65,536 are not consecutive.
    const thirds = new Set(subnets.map((s) => s.split('.')[1]));
    expect(thirds.size).toBeGreaterThan(10);
  });

  it('still find the last free block of a nearly full range, and VS001 once there is none', async () => {
    const owner = await createUser(sql);
    // 64 blocks; the owner takes all but one by explicit subnets of mixed sizes.
    await sql`update vidsync.settings set supernet = '10.126.0.0/18', auto_subnet_avoid = '{10.126.63.0/24}'`;
    try {
      await project(owner, '10.126.0.0/19'); // 32 blocks
      await project(owner, '10.126.32.0/20'); // 16
      await project(owner, '10.126.48.0/21'); // 8
      await project(owner, '10.126.56.0/22'); // 4
      await project(owner, '10.126.60.0/24');
      await project(owner, '10.126.62.0/25'); // half a block: the block is not free
      expect((await project(owner, null)).subnet).toBe('10.126.61.0/24');
      expect(await sqlstateOf(project(owner, null))).toBe('VS001');
    } finally {
      await sql`update vidsync.settings set supernet = default, auto_subnet_avoid = default`;
    }
  });
});

describe('one user cannot exhaust subnets for everyone', () => {
  it('a range one owner filled still gives every other owner an automatic subnet', async () => {
    // The seed's fault: 7 large or 256 plain projects of one user filled the
    // deployment's only supernet, and every later tenant got 409.
    await sql`update vidsync.settings set supernet = '10.128.0.0/22', auto_subnet_avoid = '{}'`;
    try {
      const greedy = await createUser(sql);
      await project(greedy, '10.128.0.0/23');
      await project(greedy, '10.128.2.0/24');
      await project(greedy, null);
      expect(await sqlstateOf(project(greedy, null))).toBe('VS001');
      for (let i = 0; i < 5; i++) expect((await project(await createUser(sql), null)).subnet).toMatch(/^10\.128\.[0-3]\.0\/24$/);
    } finally {
      await sql`update vidsync.settings set supernet = default, auto_subnet_avoid = default`;
    }
  });
});

describe('no global lock', () => {
  it('a creation in progress holds up only its own owner\'s next creation', async () => {
    const [a, b] = [await createUser(sql), await createUser(sql)];
    await whileHeldOpen(sql, (tx) => tx`select vidsync_api.create_project('slow', '10.127.0.0/16', ${a})`, async () => {
      // Another owner: not held up (a lock timeout would fail it with 55P03).
      const other = await sql.begin(async (tx) => {
        await tx`set local lock_timeout = '2s'`;
        const [row] = await tx<{ subnet: string }[]>`select subnet::text from vidsync_api.create_project('other', null, ${b})`;
        return row!.subnet;
      });
      expect(other).toMatch(/\/24$/);
      // The same owner waits for the first creation (its quota and subnets are counted after it).
      const same = sql.begin(async (tx) => {
        await tx`set local lock_timeout = '300ms'`;
        await tx`select vidsync_api.create_project('again', null, ${a})`;
      });
      expect(await sqlstateOf(same)).toBe('55P03');
    });
  });
});
