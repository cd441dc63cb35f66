// Syncthing device IDs in SQL (vidsync.is_syncthing_device_id and the
// trigger on vidsync.devices) against the TypeScript rule, on one corpus:
// real IDs from the `syncthing` binary, every single-character substitution
// of them, wrong shapes, random digests. Then what the table holds: only
// valid IDs (VS005 otherwise, whoever writes), one live device per ID and
// project.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Sql } from 'postgres';
import { isSyncthingDeviceId, syncthingDeviceIdFromSha256 } from '../../supabase/functions/_shared/syncthing/index.ts';
import { binary, missing } from '../../scripts/e2e/requirements.ts';
import { asUser, createUser, freshDatabaseWithOwner, sqlstateOf } from '../support/db.ts';
import { DOCS_EXAMPLE_ID, misshapen, realSyncthingIds, singleSubstitutions, withLastDataChar } from '../support/syncthing-ids.ts';

let sql: Sql;
let owner: string;

freshDatabaseWithOwner((db) => {
  ({ sql, owner } = db);
});

async function sqlVerdicts(ids: readonly string[]): Promise<boolean[]> {
  const rows = await sql<{ ok: boolean | null }[]>`
    select vidsync.is_syncthing_device_id(id) as ok from unnest(${ids as string[]}::text[]) with ordinality as t(id, n) order by n`;
  return rows.map((r) => r.ok === true);
}

function randomIds(count: number): string[] {
  return fc.sample(fc.uint8Array({ minLength: 32, maxLength: 32 }), { numRuns: count, seed: 13 }).map(syncthingDeviceIdFromSha256);
}

async function corpusFrom(valid: readonly string[]): Promise<string[]> {
  return valid.flatMap((id) => [
    id,
    ...singleSubstitutions(id),
    ...misshapen(id).filter((s) => !s.includes('\u0000')), // Postgres text holds no NUL
    withLastDataChar(id, 'Q'),
    withLastDataChar(id, 'B'),
    withLastDataChar(id, '7'),
  ]);
}

describe('SQL and TypeScript agree', () => {
  it.skipIf(missing(binary('syncthing')))('on real IDs from the syncthing binary and their near misses', async () => {
    const real = (await realSyncthingIds(3)).map((r) => r.deviceId);
    const corpus = await corpusFrom(real);
    const ts = corpus.map((id) => isSyncthingDeviceId(id));
    expect(await sqlVerdicts(corpus)).toEqual(ts);
    // The corpus is not trivially one-sided: the real IDs pass, their substitutions do not.
    for (const id of real) expect(ts[corpus.indexOf(id)]).toBe(true);
    expect(ts.filter(Boolean).length).toBe(real.length * 2); // each ID and its A<->Q twin
  });

  it("on Syncthing's documented example, random digests and their near misses", async () => {
    const corpus = await corpusFrom([DOCS_EXAMPLE_ID, ...randomIds(20)]);
    expect(await sqlVerdicts(corpus)).toEqual(corpus.map((id) => isSyncthingDeviceId(id)));
  });

  it('null is no verdict (strict), so a nullable column stays nullable', async () => {
    const [row] = await sql<{ ok: boolean | null }[]>`select vidsync.is_syncthing_device_id(null) as ok`;
    expect(row!.ok).toBeNull();
  });
});

describe('vidsync.devices.syncthing_device_id', () => {
  let project: string;
  let otherProject: string;
  const [idA, idB] = randomIds(2) as [string, string];

  beforeAll(async () => {
    [project, otherProject] = await asUser(sql, owner, 'authenticated', async (tx) => {
      const [p] = await tx<{ id: string }[]>`select id from vidsync_api.create_project('st-ids', null)`;
      const [q] = await tx<{ id: string }[]>`select id from vidsync_api.create_project('st-ids-2', null)`;
      return [p!.id, q!.id];
    });
  });

  function register(projectId: string, device: string, syncthingId: string | null) {
    return asUser(sql, owner, 'authenticated', (tx) => tx`
      select * from vidsync_api.register_device(${projectId}, ${device}, ${`dev ${device}`}, 'key', false, '{}', ${syncthingId})`);
  }

  it('takes a valid ID at registration and refuses an invalid one with VS005', async () => {
    expect(await sqlstateOf(register(project, crypto.randomUUID(), idA))).toBe('ok');
    expect(await sqlstateOf(register(project, crypto.randomUUID(), singleSubstitutions(idB)[7]!))).toBe('VS005');
    expect(await sqlstateOf(register(project, crypto.randomUUID(), idB.toLowerCase()))).toBe('VS005');
  });

  it('refuses an invalid ID written directly (the SQL editor), with VS005', async () => {
    const device = crypto.randomUUID();
    await register(project, device, null);
    expect(await sqlstateOf(sql`update vidsync.devices set syncthing_device_id = ${withLastDataChar(idB, 'C')} where id = ${device}`)).toBe('VS005');
    expect(await sqlstateOf(sql`update vidsync.devices set syncthing_device_id = ${idB} where id = ${device}`)).toBe('ok');
  });

  it('is unique among the live devices of a project, not across projects', async () => {
    const shared = randomIds(3)[2]!;
    const first = crypto.randomUUID();
    expect(await sqlstateOf(register(project, first, shared))).toBe('ok');
    expect(await sqlstateOf(register(project, crypto.randomUUID(), shared))).toBe('23505');
    expect(await sqlstateOf(register(otherProject, crypto.randomUUID(), shared))).toBe('ok');
    // Released, the first device keeps its row but no longer holds the ID against a new registration of the machine.
    await asUser(sql, owner, 'authenticated', (tx) => tx`select vidsync_api.release_nebula_ip(${first}, 'test')`);
    expect(await sqlstateOf(register(project, crypto.randomUUID(), shared))).toBe('ok');
  });
});

describe('vidsync_api.set_syncthing_device_id', () => {
  type Who = 'anon' | 'nonMember' | 'member' | 'admin' | 'owner' | 'service';
  const users = {} as Record<'nonMember' | 'member' | 'admin', string>;
  let project: string;

  beforeAll(async () => {
    for (const who of ['nonMember', 'member', 'admin'] as const) users[who] = await createUser(sql);
    project = await asUser(sql, owner, 'authenticated', async (tx) => {
      const [p] = await tx<{ id: string }[]>`select id from vidsync_api.create_project('st-set', null)`;
      await tx`select vidsync_api.add_project_member(${p!.id}, ${users.admin}, 'admin')`;
      await tx`select vidsync_api.add_project_member(${p!.id}, ${users.member}, 'member')`;
      return p!.id;
    });
  });

  function as<T>(who: Who, fn: Parameters<typeof asUser<T>>[3]): Promise<T> {
    if (who === 'anon') return asUser(sql, null, 'anon', fn);
    if (who === 'service') return asUser(sql, null, 'service_role', fn);
    return asUser(sql, who === 'owner' ? owner : users[who], 'authenticated', fn);
  }

  it("the device's owner, project admins and owners, the service role; VS005 for a wrong ID, VS006 for a taken one", async () => {
    const outcome = {} as Record<Who, string>;
    const ids = randomIds(12);
    for (const [i, who] of (['anon', 'nonMember', 'member', 'admin', 'owner', 'service'] as const).entries()) {
      const device = crypto.randomUUID();
      await as('member', (tx) => tx`select * from vidsync_api.register_device(${project}, ${device}, ${`dev ${device}`}, 'key')`);
      outcome[who] = await sqlstateOf(as(who, (tx) => tx`select vidsync_api.set_syncthing_device_id(${device}, ${ids[i]!})`));
      const [row] = await sql<{ id: string | null }[]>`select syncthing_device_id as id from vidsync.devices where id = ${device}`;
      expect(row!.id, who).toBe(outcome[who] === 'ok' ? ids[i] : null);
    }
    expect(outcome).toEqual({ anon: '42501', nonMember: 'VS003', member: 'ok', admin: 'ok', owner: 'ok', service: 'ok' });

    const adminDevice = crypto.randomUUID();
    await as('admin', (tx) => tx`select * from vidsync_api.register_device(${project}, ${adminDevice}, ${`dev ${adminDevice}`}, 'key')`);
    expect(await sqlstateOf(as('member', (tx) => tx`select vidsync_api.set_syncthing_device_id(${adminDevice}, ${ids[10]!})`))).toBe('VS004');
    expect(await sqlstateOf(as('admin', (tx) => tx`select vidsync_api.set_syncthing_device_id(${adminDevice}, ${withLastDataChar(ids[10]!, 'D')})`))).toBe('VS005');
    expect(await sqlstateOf(as('admin', (tx) => tx`select vidsync_api.set_syncthing_device_id(${adminDevice}, ${ids[4]!})`))).toBe('VS006');
    expect(await sqlstateOf(as('admin', (tx) => tx`select vidsync_api.set_syncthing_device_id(${crypto.randomUUID()}, ${ids[11]!})`))).toBe('VS003');
    // Setting the same value again is a no-op, and null clears.
    expect(await sqlstateOf(as('admin', (tx) => tx`select vidsync_api.set_syncthing_device_id(${adminDevice}, ${ids[10]!})`))).toBe('ok');
    expect(await sqlstateOf(as('admin', (tx) => tx`select vidsync_api.set_syncthing_device_id(${adminDevice}, ${ids[10]!})`))).toBe('ok');
    expect(await sqlstateOf(as('admin', (tx) => tx`select vidsync_api.set_syncthing_device_id(${adminDevice}, null)`))).toBe('ok');
    const [row] = await sql<{ id: string | null }[]>`select syncthing_device_id as id from vidsync.devices where id = ${adminDevice}`;
    expect(row!.id).toBeNull();
  });
});
