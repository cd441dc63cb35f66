// A signed-in user of ANOTHER project against project P, at the SQL level,
// the way PostgREST and the function act for a user (SET LOCAL ROLE
// authenticated + request.jwt.claims): the internal helpers the allocator,
// lifecycle and CA migrations define are not theirs to call, the pure
// helpers the tables' triggers need are callable but only ever answer, the
// read policies show them none of P's rows, and the quota check, which the
// function calls as the user, tells them nothing about P.
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { asUser, createSqlTeam, freshDatabaseWithOwner, registerDeviceAs, sqlstateOf } from '../support/db.ts';
import type { SqlTeam } from '../support/db.ts';

let sql: Sql;
let team: SqlTeam;
/** Owner of a project of their own, in no project of the team. */
let other: string;
let device: string;

freshDatabaseWithOwner(async (db) => {
  sql = db.sql;
  team = await createSqlTeam(sql, db.owner, 'P', null);
  other = team.stranger;
  await asUser(sql, other, 'authenticated', (tx) => tx`select id from vidsync_api.create_project('theirs', null)`);
  device = (await registerDeviceAs(sql, team.member, team.project, 'member laptop')).id;
});

const asOther = (query: (tx: Sql) => Promise<unknown>) =>
  sqlstateOf(asUser(sql, other, 'authenticated', (tx) => query(tx as unknown as Sql)));

describe('a user of another project', () => {
  it('may call none of the internal steps on P\'s rows (permission denied), and P\'s device stays live', async () => {
    const calls: Record<string, (tx: Sql) => Promise<unknown>> = {
      revoke_and_release: (tx) => tx`select vidsync.revoke_and_release(${device}, ${other}, 'hostile')`,
      release_ip: (tx) => tx`select vidsync.release_ip(${device}, ${other}, 'hostile')`,
      lock_device: (tx) => tx`select vidsync.lock_device(${device})`,
      free_ip: (tx) => tx`select vidsync.free_ip(${team.project})`,
      assign_ip: (tx) => tx`select vidsync.assign_ip(${team.project}, ${device}, '10.0.0.1', ${other})`,
      allocate_ip: (tx) => tx`select vidsync.allocate_ip(${team.project}, ${device}, ${other})`,
      acting_user: (tx) => tx`select vidsync.acting_user(${team.owner}, 'act')`,
      require_other_owner: (tx) => tx`select vidsync.require_other_owner(${team.project}, 'leave')`,
      require_project_role: (tx) => tx`select vidsync.require_project_role(${team.project}, ${team.owner}, array['owner'])`,
      trusted_cas: (tx) => tx`select * from vidsync.trusted_cas(${team.project})`,
    };
    const answers: Record<string, string> = {};
    for (const [name, call] of Object.entries(calls)) answers[name] = await asOther(call);
    expect(answers).toEqual(Object.fromEntries(Object.keys(calls).map((n) => [n, '42501'])));
    const [d] = await sql<{ revoked: boolean; ip: string | null }[]>`
      select revoked_at is not null as revoked, host(overlay_ip) as ip from vidsync.devices where id = ${device}`;
    expect(d!.revoked).toBe(false);
    expect(d!.ip).not.toBeNull();
  });

  it('may call the pure helpers the triggers need, and hostile arguments only get an answer or VS005', async () => {
    const numbers = await asUser(sql, other, 'authenticated', (tx) => tx<{ v: boolean | null }[]>`
      select vidsync.is_json_number(v, 100, w) as v
        from (values ('1e1000'::jsonb, false), ('-0.0', true), ('"5"', false), ('null', false), ('[1]', false),
                     ('{"a":1}', false), ('100.0000000000000000001', false), ('99.5', true), ('0', true)) as x(v, w)`);
    expect(numbers.map((r) => r.v)).toEqual([false, true, false, false, false, false, false, false, true]);
    for (const value of [null, '', '   ', 'a\u202eb', 'a\u0007b', 'x'.repeat(65), '\u200b']) {
      expect(await asOther((tx) => tx`select vidsync.require_display_text(${value}, 64, 'name')`)).toBe('VS005');
    }
    const [ok] = await asUser(sql, other, 'authenticated', (tx) => tx<{ v: string }[]>`select vidsync.require_display_text('  fine  ', 64, 'name') as v`);
    expect(ok!.v).toBe('fine');
  });

  it('sees none of P\'s rows in the five tables the one read rule covers, each with exactly that one policy', async () => {
    const tables = ['projects', 'project_members', 'devices', 'ip_pool', 'ip_allocations'];
    const policies = await sql<{ table: string; cmd: string; roles: string[] }[]>`
      select tablename as table, cmd, roles::text[] as roles from pg_policies
       where schemaname = 'vidsync' and tablename = any(${tables}) order by tablename`;
    expect(policies).toEqual([...tables].sort().map((table) => ({ table, cmd: 'SELECT', roles: ['authenticated'] })));
    for (const table of tables) {
      const column = table === 'projects' ? 'id' : 'project_id';
      const [theirs] = await asUser(sql, other, 'authenticated', (tx) =>
        tx<{ n: number }[]>`select count(*)::int as n from ${tx('vidsync')}.${tx(table)} where ${tx(column)} = ${team.project}`);
      const [members] = await asUser(sql, team.member, 'authenticated', (tx) =>
        tx<{ n: number }[]>`select count(*)::int as n from ${tx('vidsync')}.${tx(table)} where ${tx(column)} = ${team.project}`);
      expect({ table, theirs: theirs!.n, visibleToMembers: members!.n > 0 }).toEqual({ table, theirs: 0, visibleToMembers: true });
    }
  });

  it('learns nothing from the quota check by naming a member of P as the owner (VS003, as without)', async () => {
    const fresh = crypto.randomUUID();
    expect(await asOther((tx) => tx`select vidsync_api.check_device_quota(${team.project}, ${fresh})`)).toBe('VS003');
    expect(await asOther((tx) => tx`select vidsync_api.check_device_quota(${team.project}, ${fresh}, ${team.member})`)).toBe('VS003');
    await sql`update vidsync.settings set max_devices_per_project = 1`;
    try {
      expect(await asOther((tx) => tx`select vidsync_api.check_device_quota(${team.project}, ${fresh}, ${team.owner})`)).toBe('VS003');
      // The member themselves still hears the quota; the service role may still name them.
      expect(await sqlstateOf(asUser(sql, team.owner, 'authenticated', (tx) => tx`select vidsync_api.check_device_quota(${team.project}, ${fresh})`))).toBe('VS011');
      expect(await sqlstateOf(asUser(sql, null, 'service_role', (tx) => tx`select vidsync_api.check_device_quota(${team.project}, ${fresh}, ${team.owner})`))).toBe('VS011');
    } finally {
      await sql`update vidsync.settings set max_devices_per_project = default`;
    }
  });
});

describe('security definer in vidsync', () => {
  it('only where a caller without the owner\'s rights runs the function (a policy, a trigger, a grant to authenticated): the invite helpers run only inside vidsync_api definers', async () => {
    const definers = await sql<{ name: string }[]>`
      select p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'vidsync' and p.prosecdef order by 1`;
    expect(definers.map((d) => d.name)).toEqual([
      'authorize_ca_import', 'claim_device_subnet', 'claim_owner_subnet', 'is_project_member', 'project_owner_follows', 'release_expired_subnet_holds',
    ]);
  });
});
