// How much a registration reads of vidsync.devices: a handful of rows,
// however many devices the project already has. A plan that a session's
// function cached while the table was small must not walk the project's
// devices later (check_device_quota did: a device looked up by id and
// project used the project's index, a row per device already there).
// Counted with the rows Postgres fetched through the table's indexes, on one
// connection, so the plans cached by the first registrations are the ones
// the later ones use (before the fix: 405 rows with 400 devices).
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { asUser, freshDatabaseWithOwner } from '../support/db.ts';

let sql: Sql;
let owner: string;
let projectId: string;

freshDatabaseWithOwner(
  async (db) => {
    ({ sql, owner } = db);
    await sql`update vidsync.settings set max_devices_per_member = 100000, max_devices_per_project = 100000`;
    const [row] = await sql<{ id: string }[]>`select id from vidsync_api.create_project('reads', '10.13.0.0/20', ${owner})`;
    projectId = row!.id;
  },
  { max: 1 },
);

/** Device rows fetched through the table's indexes so far (the pending counters of this backend). */
const FETCHED = `
  select pg_catalog.sum(pg_stat_get_xact_tuples_fetched(i.indexrelid))::int as fetched
    from pg_catalog.pg_index i where i.indrelid = 'vidsync.devices'::regclass`;

/** As the function registers (the quota check, then register_device, as the user); returns the device rows it fetched. */
function registerCountingReads(device: string = crypto.randomUUID()): Promise<number> {
  return asUser(sql, owner, 'authenticated', async (tx) => {
    const [before] = await tx.unsafe<{ fetched: number }[]>(FETCHED);
    await tx`select vidsync_api.check_device_quota(${projectId}, ${device})`;
    await tx`select * from vidsync_api.register_device(${projectId}, ${device}, ${`box ${device.slice(0, 8)}`}, 'KEY')`;
    const [after] = await tx.unsafe<{ fetched: number }[]>(FETCHED);
    return after!.fetched - before!.fetched;
  });
}

describe('a registration reads', () => {
  it('a few device rows, with 10 devices in the project and with 400', async () => {
    // Enough registrations for PL/pgSQL to settle on its generic plans, while the table is small.
    const few: number[] = [];
    for (let i = 0; i < 10; i++) few.push(await registerCountingReads());
    for (let i = 0; i < 390; i++) await registerCountingReads();
    const many: number[] = [];
    for (let i = 0; i < 5; i++) many.push(await registerCountingReads());
    expect(Math.max(...many)).toBeLessThanOrEqual(Math.max(...few) + 2);
    expect(Math.max(...many)).toBeLessThan(20);
  });
});
