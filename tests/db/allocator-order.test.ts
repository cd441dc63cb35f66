// The order in which the allocator hands out addresses (see vidsync.allocate_ip
// in the allocator migration): never-used addresses above the highest taken one,
// then released addresses that have cooled down, then holes below the highest
// taken one (left by allocations that rolled back), then VS001 at once.
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { freshDatabaseWithOwner, sqlstateOf, whileHeldOpen } from '../support/db.ts';

let sql: Sql;
let owner: string;

freshDatabaseWithOwner(async (db) => {
  ({ sql, owner } = db);
  // Released addresses are reusable at once here, so the test needs no clock.
  await sql`update vidsync.settings set cooling_interval = '0'`;
});

async function newDevice(projectId: string): Promise<string> {
  const id = crypto.randomUUID();
  await sql`insert into vidsync.devices (id, project_id, owner_id, name, public_key) values (${id}, ${projectId}, ${owner}, ${`d ${id}`}, 'k')`;
  return id;
}

async function allocate(projectId: string, device?: string, tx: Sql = sql): Promise<string> {
  const id = device ?? (await newDevice(projectId));
  const [row] = await tx<{ ip: string }[]>`select host(vidsync_api.allocate_nebula_ip(${projectId}, ${id}, null)) as ip`;
  return row!.ip;
}

describe('allocation order', () => {
  it('fills upwards, reuses cooled addresses before holes, takes holes last, then refuses at once', async () => {
    const [p] = await sql<{ id: string }[]>`select id from vidsync_api.create_project('order', '10.20.30.0/29', ${owner})`;
    const project = p!.id;
    expect(await allocate(project)).toBe('10.20.30.1');

    // A hole: .2 is claimed by a transaction that rolls back after .3 was taken.
    const holeDevice = await newDevice(project);
    await whileHeldOpen(
      sql,
      async (tx) => expect(await allocate(project, holeDevice, tx)).toBe('10.20.30.2'),
      async () => expect(await allocate(project)).toBe('10.20.30.3'), // skips the locked .2
      'rollback',
    );

    const four = await newDevice(project);
    expect(await allocate(project, four)).toBe('10.20.30.4');
    expect(await allocate(project)).toBe('10.20.30.5');
    expect(await allocate(project)).toBe('10.20.30.6');
    await sql`select vidsync_api.release_nebula_ip(${four}, 'test')`;

    expect(await allocate(project)).toBe('10.20.30.4'); // cooled down, before the hole
    expect(await allocate(project)).toBe('10.20.30.2'); // the hole, last
    expect(await sqlstateOf(allocate(project))).toBe('VS001');
  });
});
