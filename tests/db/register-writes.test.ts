// How much a registration writes (vidsync_api.register_device): a new
// device's address is chosen before its row is inserted, so the row is
// written once, holding the address (its triggers, checks and indexes run
// once); a known device is updated and keeps its address. Counted with
// Postgres's per-transaction tuple statistics, so the test fails if the row
// is inserted and then updated again.
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { freshDatabaseWithOwner } from '../support/db.ts';

let sql: Sql;
let owner: string;
let projectId: string;

freshDatabaseWithOwner(async (db) => {
  ({ sql, owner } = db);
  const [row] = await sql<{ id: string }[]>`select id from vidsync_api.create_project('writes', '10.12.0.0/24', ${owner})`;
  projectId = row!.id;
});

/** Registers `device` in one transaction; returns its address and the devices rows that transaction inserted and updated. */
async function registerCounting(device: string): Promise<{ ip: string; inserted: number; updated: number }> {
  return sql.begin(async (tx) => {
    const [reg] = await tx<{ ip: string }[]>`
      select host(ip) as ip from vidsync_api.register_device(${projectId}, ${device}, ${`box ${device.slice(0, 8)}`}, 'KEY', false, '{}', null, ${owner})`;
    const [n] = await tx<{ inserted: number; updated: number }[]>`
      select pg_stat_get_xact_tuples_inserted('vidsync.devices'::regclass)::int as inserted,
             pg_stat_get_xact_tuples_updated('vidsync.devices'::regclass)::int as updated`;
    return { ip: reg!.ip, ...n! };
  }) as Promise<{ ip: string; inserted: number; updated: number }>;
}

describe('register_device writes', () => {
  it('a new device: one insert that already holds the address, no update', async () => {
    const device = crypto.randomUUID();
    const first = await registerCounting(device);
    expect(first).toMatchObject({ inserted: 1, updated: 0 });
    const [row] = await sql<{ ip: string; pool: string; live: number }[]>`
      select host(d.overlay_ip) as ip,
             (select host(p.ip) from vidsync.ip_pool p where p.device_id = d.id) as pool,
             (select count(*)::int from vidsync.ip_allocations a where a.device_id = d.id and a.released_at is null) as live
        from vidsync.devices d where d.id = ${device}`;
    expect(row).toEqual({ ip: first.ip, pool: first.ip, live: 1 });

    // Registering it again updates the row and keeps the address.
    const again = await registerCounting(device);
    expect(again).toMatchObject({ ip: first.ip, updated: 1 });
  });
});
