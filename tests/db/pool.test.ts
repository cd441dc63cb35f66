// The pool is written lazily, in chunks (see the lazy pool migration):
// creation writes the first chunk, the allocator the next ones, and
// concurrent allocators neither wait for each other's chunks nor lose them.
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { freshDatabaseWithOwner, sqlstateOf, whileHeldOpen } from '../support/db.ts';

let sql: Sql;
let owner: string;

freshDatabaseWithOwner((db) => {
  ({ sql, owner } = db);
}, { max: 8 });

async function project(subnet: string): Promise<string> {
  const [row] = await sql<{ id: string }[]>`select id from vidsync_api.create_project('pool', ${subnet}::cidr, ${owner})`;
  return row!.id;
}

async function devices(projectId: string, n: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    insert into vidsync.devices (id, project_id, owner_id, name, public_key)
    select gen_random_uuid(), ${projectId}, ${owner}, 'd' || g, 'k' from generate_series(1, ${n}) g returning id`;
  return rows.map((r) => r.id);
}

async function allocate(projectId: string, device: string, tx: Sql = sql): Promise<string> {
  const [row] = await tx<{ ip: string }[]>`select host(vidsync_api.allocate_nebula_ip(${projectId}, ${device}, null)) as ip`;
  return row!.ip;
}

async function written(projectId: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from vidsync.ip_pool where project_id = ${projectId}`;
  return row!.n;
}

describe('a pool in chunks', () => {
  it('chunks are 1/256 of the subnet, at least 32 addresses, at most the subnet', async () => {
    const sizes = await sql<{ s: string; n: number }[]>`
      select s::text, vidsync.pool_chunk_size(s)::int as n from unnest('{10.0.0.0/16,10.0.0.0/18,10.0.0.0/22,10.0.0.0/24,10.0.0.0/28,10.0.0.0/30}'::cidr[]) s`;
    expect(Object.fromEntries(sizes.map((r) => [r.s, r.n]))).toEqual({
      '10.0.0.0/16': 256,
      '10.0.0.0/18': 64,
      '10.0.0.0/22': 32,
      '10.0.0.0/24': 32,
      '10.0.0.0/28': 16,
      '10.0.0.0/30': 4,
    });
  });

  it('fills a /22 in order across chunks, then refuses with VS001 at once', async () => {
    const p = await project('10.140.0.0/22'); // 1022 hosts, chunks of 32
    expect(await written(p)).toBe(31);
    const ids = await devices(p, 1023);
    const ips = [];
    for (const id of ids.slice(0, 1022)) ips.push(await allocate(p, id));
    expect(ips[0]).toBe('10.140.0.1');
    expect(ips[31]).toBe('10.140.0.32');
    expect(ips.at(-1)).toBe('10.140.3.254');
    expect(new Set(ips).size).toBe(1022);
    expect(await written(p)).toBe(1022);
    expect(await sqlstateOf(allocate(p, ids[1022]!))).toBe('VS001');
  });

  it('an allocator finding the next chunk being written by another writes the one after, without waiting', async () => {
    const p = await project('10.141.0.0/24'); // chunks of 32: .1–.31, .32–.63, ...
    const ids = await devices(p, 34);
    for (const id of ids.slice(0, 31)) await allocate(p, id);
    await whileHeldOpen(
      sql,
      async (tx) => expect(await allocate(p, ids[31]!, tx)).toBe('10.141.0.32'), // writes chunk 1
      async () => {
        const second = await sql.begin(async (tx) => {
          await tx`set local lock_timeout = '2s'`;
          return allocate(p, ids[32]!, tx as unknown as Sql);
        });
        expect(second).toBe('10.141.0.64'); // chunk 2
      },
    );
    // Chunk 1's other addresses are found later, as holes below the highest taken one.
    expect(await allocate(p, ids[33]!)).toBe('10.141.0.65');
  });

  it('a chunk whose writer rolled back, below a written one, is written again when nothing else is free', async () => {
    const p = await project('10.143.0.0/24'); // chunks of 32: .1–.31, .32–.63, .64–.95, ...
    const ids = await devices(p, 256);
    for (const id of ids.slice(0, 31)) await allocate(p, id);
    await whileHeldOpen(
      sql,
      async (tx) => expect(await allocate(p, ids[31]!, tx)).toBe('10.143.0.32'), // writes chunk 1, then rolls back
      async () => expect(await allocate(p, ids[32]!)).toBe('10.143.0.64'), // chunk 1 is busy: writes chunk 2
      'rollback',
    );
    expect(await written(p)).toBe(31 + 32);
    // Chunks 2–7 first; then chunk 1, which no row marks as written any more.
    const ips = [];
    for (const id of ids.slice(33, 255)) ips.push(await allocate(p, id));
    expect(ips.at(-32)).toBe('10.143.0.32');
    expect(ips.at(-1)).toBe('10.143.0.63');
    expect(await written(p)).toBe(254);
    expect(await sqlstateOf(allocate(p, ids[255]!))).toBe('VS001');
  });

  it('an allocator with no other chunk to write waits for the one being written, and writes it itself if that rolls back', async () => {
    for (const [i, outcome] of (['commit', 'rollback'] as const).entries()) {
      const p = await project(`10.142.${i}.0/26`); // two chunks of 32
      const ids = await devices(p, 33);
      for (const id of ids.slice(0, 31)) await allocate(p, id);
      const { waiting } = await whileHeldOpen(
        sql,
        (tx) => allocate(p, ids[31]!, tx), // writes chunk 1
        async () => {
          const waiting = allocate(p, ids[32]!);
          await new Promise((r) => setTimeout(r, 200));
          return { waiting };
        },
        outcome,
      );
      // Not VS001: after the wait, chunk 1's addresses are visible, or the waiter wrote them.
      expect(await waiting, outcome).toMatch(/^10\.142\.\d\.(3[2-9]|[4-5][0-9]|6[0-2])$/);
      const taken = await sql`select 1 from vidsync.ip_pool where project_id = ${p} and device_id is not null`;
      expect(taken, outcome).toHaveLength(outcome === 'commit' ? 33 : 32);
    }
  });
});
