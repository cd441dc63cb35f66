// Device names are unique among a project's live devices, compared the way a
// person reads them: case-insensitively, after Unicode compatibility
// normalization (NFKC), runs of spaces as one. Two devices that show as
// "Studio iMac" and "STUDIO IMAC" in a member list, or in two certificates,
// would be told apart by nobody. The database decides (VS030, and its unique
// index when two registrations race); a released device keeps its name
// without blocking a new one.
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { asUser, freshDatabaseWithOwner, sqlstateOf } from '../support/db.ts';

let sql: Sql;
let owner: string;

freshDatabaseWithOwner((db) => {
  ({ sql, owner } = db);
});

async function newProject(): Promise<string> {
  const [p] = await asUser(sql, owner, 'authenticated', (tx) => tx<{ id: string }[]>`select id from vidsync_api.create_project('names', null)`);
  return p!.id;
}

function register(project: string, name: string, device: string = crypto.randomUUID()): Promise<unknown> {
  return asUser(sql, owner, 'authenticated', (tx) => tx`select * from vidsync_api.register_device(${project}, ${device}, ${name}, 'key')`);
}

describe('device names', () => {
  it.each([
    ['Studio iMac', 'studio imac'],
    ['Studio iMac', 'STUDIO IMAC'],
    ['laptop', 'ｌａｐｔｏｐ'], // fullwidth forms
    ['file server', 'ﬁle server'], // the fi ligature
    ['Straße', 'STRASSE'],
    ['Zoë', 'Zoe\u0308'], // precomposed and combining diaeresis
    ['Studio iMac', 'Studio  iMac'],
    ['Studio iMac', 'Studio\u00A0iMac'], // no-break space
    ['Studio iMac', ' Studio iMac '],
  ])('%j and %j are one name in a project (VS030)', async (first, second) => {
    const project = await newProject();
    expect(await sqlstateOf(register(project, first))).toBe('ok');
    expect(await sqlstateOf(register(project, second))).toBe('VS030');
  });

  it('are distinct when they read differently, and per project', async () => {
    const project = await newProject();
    for (const name of ['Studio iMac', 'Studio iMac 2', 'Studio-iMac', 'Studío iMac']) expect(await sqlstateOf(register(project, name))).toBe('ok');
    expect(await sqlstateOf(register(await newProject(), 'Studio iMac'))).toBe('ok');
  });

  it('a device keeps its own name when it registers again, and may rename itself, but not to a taken name', async () => {
    const project = await newProject();
    const device = crypto.randomUUID();
    await register(project, 'desk', device);
    await register(project, 'garage');
    expect(await sqlstateOf(register(project, 'desk', device))).toBe('ok');
    expect(await sqlstateOf(register(project, 'DESK', device))).toBe('ok');
    expect(await sqlstateOf(register(project, 'Garage', device))).toBe('VS030');
    expect((await sql`select name from vidsync.devices where id = ${device}`)[0]).toEqual({ name: 'DESK' });
  });

  it('a released device does not hold its name; it gets it back only while nobody else took it', async () => {
    const project = await newProject();
    const old = crypto.randomUUID();
    await register(project, 'kiosk', old);
    await asUser(sql, owner, 'authenticated', (tx) => tx`select vidsync_api.release_nebula_ip(${old}, 'retired')`);
    expect(await sqlstateOf(register(project, 'Kiosk'))).toBe('ok');
    // The old device comes back under its old name: taken now.
    expect(await sqlstateOf(register(project, 'kiosk', old))).toBe('VS030');
    expect((await sql`select overlay_ip from vidsync.devices where id = ${old}`)[0]).toEqual({ overlay_ip: null });
  });

  it('concurrent registrations of one name: exactly one wins, the others are refused (VS030, or 23505 from the unique index)', async () => {
    const project = await newProject();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => sqlstateOf(register(project, 'Render node'))));
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'VS030' && o !== '23505')).toEqual([]);
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from vidsync.devices where project_id = ${project} and overlay_ip is not null`;
    expect(row!.n).toBe(1);
  });

  it('are refused when written directly too (the SQL editor), and the index holds whatever the order', async () => {
    const project = await newProject();
    await register(project, 'alpha');
    const device = crypto.randomUUID();
    await register(project, 'beta', device);
    expect(await sqlstateOf(sql`update vidsync.devices set name = 'ALPHA' where id = ${device}`)).toBe('VS030');
    const [index] = await sql<{ def: string }[]>`select pg_get_indexdef('vidsync.devices_live_name_unique'::regclass) as def`;
    expect(index!.def).toContain('vidsync.device_name_key(name)');
    expect(index!.def).toContain('WHERE (overlay_ip IS NOT NULL)');
  });
});
