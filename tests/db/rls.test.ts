// Who may do what: every identity a request can carry (anon, a signed-in
// user outside the project, a member, an admin, the owner, the service role)
// against every table and every callable function, asserting both what is
// allowed and what is refused, and with which SQLSTATE. A user outside the
// project hears VS003 (not found), as for an id that does not exist: only a
// member learns that something exists and is not theirs (VS004).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql, TransactionSql } from 'postgres';
import { asUser, createUser, freshDatabase, sqlstateOf } from '../support/db.ts';
import type { ApiRole, FreshDatabase } from '../support/db.ts';

type Who = 'anon' | 'nonMember' | 'member' | 'admin' | 'owner' | 'service';
const everyone: Who[] = ['anon', 'nonMember', 'member', 'admin', 'owner', 'service'];

let db: FreshDatabase;
let sql: Sql;
const users = {} as Record<'nonMember' | 'member' | 'admin' | 'owner' | 'newcomer', string>;
let project: string;
let subnet: string;
let memberDevice: string;
let adminDevice: string;

function identity(who: Who): { userId: string | null; role: ApiRole } {
  if (who === 'anon') return { userId: null, role: 'anon' };
  if (who === 'service') return { userId: null, role: 'service_role' };
  return { userId: users[who], role: 'authenticated' };
}

function as<T>(who: Who, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  const { userId, role } = identity(who);
  return asUser(sql, userId, role, fn);
}

async function registerAs(who: Who, device: string, options: { lighthouse?: boolean; owner?: string } = {}) {
  return as(who, (tx) => tx`
    select * from vidsync_api.register_device(${project}, ${device}, ${`dev ${device}`}, 'key', ${options.lighthouse ?? false},
      ${options.lighthouse ? ['lh.example.com:4242'] : []}::text[], null, ${options.owner ?? null}::uuid)`);
}

beforeAll(async () => {
  db = await freshDatabase();
  sql = db.sql;
  for (const who of ['nonMember', 'member', 'admin', 'owner', 'newcomer'] as const) users[who] = await createUser(sql, `${who}-${crypto.randomUUID()}@example.com`);
  const [p] = await as('owner', (tx) => tx<{ id: string; subnet: string }[]>`select id, subnet::text as subnet from vidsync_api.create_project('rls', null)`);
  project = p!.id;
  subnet = p!.subnet;
  await as('owner', (tx) => tx`select vidsync_api.add_project_member(${project}, ${users.admin}, 'admin')`);
  await as('admin', (tx) => tx`select vidsync_api.add_project_member(${project}, ${users.member}, 'member')`);
  memberDevice = crypto.randomUUID();
  adminDevice = crypto.randomUUID();
  await registerAs('member', memberDevice);
  await registerAs('admin', adminDevice, { lighthouse: true });
  // A project the others are not in, to check that rows do not leak across projects.
  const other = await createUser(sql);
  await asUser(sql, other, 'authenticated', async (tx) => {
    const [elsewhere] = await tx<{ id: string }[]>`select id from vidsync_api.create_project('elsewhere', null)`;
    await tx`select * from vidsync_api.register_device(${elsewhere!.id}, ${crypto.randomUUID()}, 'theirs', 'key')`;
  });
});
afterAll(async () => db?.drop());

describe('tables: reading', () => {
  const tables = ['projects', 'project_members', 'devices', 'ip_pool', 'ip_allocations'] as const;
  const projectColumn = { projects: 'id', project_members: 'project_id', devices: 'project_id', ip_pool: 'project_id', ip_allocations: 'project_id' };

  for (const table of tables) {
    it(`vidsync.${table}: members see their project's rows only, outsiders nothing, anon is refused`, async () => {
      const seen = async (who: Who) =>
        as(who, async (tx) => {
          const [row] = await tx.unsafe(
            `select count(*) filter (where ${projectColumn[table]} = $1)::int as mine, count(*) filter (where ${projectColumn[table]} <> $1)::int as others from vidsync.${table}`,
            [project],
          );
          return row as unknown as { mine: number; others: number };
        });
      const [total] = await sql.unsafe(`select count(*)::int as n from vidsync.${table} where ${projectColumn[table]} = $1`, [project]);
      const inProject = (total as unknown as { n: number }).n;
      expect(inProject).toBeGreaterThan(0);

      expect(await sqlstateOf(seen('anon'))).toBe('42501');
      expect(await seen('nonMember')).toEqual({ mine: 0, others: 0 });
      for (const who of ['member', 'admin', 'owner'] as const) {
        expect(await seen(who)).toEqual({ mine: inProject, others: 0 });
      }
      // The service role sees every project, including 'elsewhere'.
      const service = await seen('service');
      expect(service.mine).toBe(inProject);
      expect(service.others).toBeGreaterThan(0);
    });
  }

  it('vidsync.settings: only the service role', async () => {
    for (const who of ['anon', 'nonMember', 'member', 'admin', 'owner'] as const) {
      expect(await sqlstateOf(as(who, (tx) => tx`select * from vidsync.settings`))).toBe('42501');
    }
    const [row] = await as('service', (tx) => tx`select supernet::text as supernet from vidsync.settings`);
    expect(row).toEqual({ supernet: '10.0.0.0/8' });
  });
});

describe('tables: writing', () => {
  const writes: Record<string, () => string> = {
    'insert a project': () => `insert into vidsync.projects (name, owner_id, subnet) values ('x', '${users.owner}', '10.77.0.0/24')`,
    'rename a project': () => `update vidsync.projects set name = 'renamed' where id = '${project}'`,
    'add a member': () => `insert into vidsync.project_members (project_id, user_id, role) values ('${project}', '${users.nonMember}', 'owner')`,
    'promote oneself': () => `update vidsync.project_members set role = 'owner' where project_id = '${project}'`,
    'insert a device': () => `insert into vidsync.devices (id, project_id, owner_id, name, public_key) values (gen_random_uuid(), '${project}', '${users.member}', 'x', 'k')`,
    'change a device address': () => `update vidsync.devices set overlay_ip = '10.99.0.200' where id = '${memberDevice}'`,
    'take a pool address': () => `update vidsync.ip_pool set device_id = '${memberDevice}' where project_id = '${project}'`,
    'empty the pool': () => `delete from vidsync.ip_pool where project_id = '${project}'`,
    'forge history': () => `insert into vidsync.ip_allocations (project_id, ip, device_id) values ('${project}', '10.99.0.9', gen_random_uuid())`,
    'change settings': () => `update vidsync.settings set cooling_interval = '0'`,
  };
  for (const [what, statement] of Object.entries(writes)) {
    it(`${what}: refused to every API role but the service role`, async () => {
      for (const who of ['anon', 'nonMember', 'member', 'admin', 'owner'] as const) {
        expect(await sqlstateOf(as(who, (tx) => tx.unsafe(statement())))).toBe('42501');
      }
    });
  }

  it('the service role may write (here: a no-op update of every table)', async () => {
    for (const table of ['settings', 'projects', 'project_members', 'devices', 'ip_pool']) {
      const column = table === 'settings' ? 'cooling_interval' : table === 'ip_pool' ? 'reusable_after' : 'created_at';
      expect(await sqlstateOf(as('service', (tx) => tx.unsafe(`update vidsync.${table} set ${column} = ${column} where false`)))).toBe('ok');
    }
  });
});

describe('functions', () => {
  // Each row: the function call, then the expected outcome per identity.
  const cases: { name: string; call: (tx: TransactionSql, who: Who) => Promise<unknown>; expected: Record<Who, string> }[] = [
    {
      name: 'create_project',
      call: (tx, who) => tx`select vidsync_api.create_project('mine', null, ${who === 'service' ? users.owner : null}::uuid)`,
      expected: { anon: '42501', nonMember: 'ok', member: 'ok', admin: 'ok', owner: 'ok', service: 'ok' },
    },
    {
      name: 'add_project_member',
      call: (tx) => tx`select vidsync_api.add_project_member(${project}, ${users.newcomer}, 'member')`,
      expected: { anon: '42501', nonMember: 'VS003', member: 'VS004', admin: 'ok', owner: 'ok', service: 'ok' },
    },
    {
      name: 'populate_project_pool',
      call: (tx) => tx`select vidsync_api.populate_project_pool(${project}, ${subnet}::cidr)`,
      expected: { anon: '42501', nonMember: 'VS003', member: 'VS004', admin: 'ok', owner: 'ok', service: 'ok' },
    },
    {
      name: 'register_device',
      call: (tx, who) => tx`
        select * from vidsync_api.register_device(${project}, ${crypto.randomUUID()}, ${`new ${crypto.randomUUID()}`}, 'key', false, '{}', null,
          ${who === 'service' ? users.member : null}::uuid)`,
      expected: { anon: '42501', nonMember: 'VS003', member: 'ok', admin: 'ok', owner: 'ok', service: 'ok' },
    },
    {
      name: 'register_device (lighthouse)',
      call: (tx, who) => tx`
        select * from vidsync_api.register_device(${project}, ${crypto.randomUUID()}, ${`lh ${crypto.randomUUID()}`}, 'key', true, ${['203.0.113.7:4242']}::text[], null,
          ${who === 'service' ? users.member : null}::uuid)`,
      expected: { anon: '42501', nonMember: 'VS003', member: 'VS004', admin: 'ok', owner: 'ok', service: 'ok' },
    },
    {
      name: "allocate_nebula_ip (the member's device)",
      call: (tx) => tx`select vidsync_api.allocate_nebula_ip(${project}, ${memberDevice}, null)`,
      expected: { anon: '42501', nonMember: 'VS003', member: 'ok', admin: 'ok', owner: 'ok', service: 'ok' },
    },
    {
      name: "allocate_nebula_ip (the admin's device)",
      call: (tx) => tx`select vidsync_api.allocate_nebula_ip(${project}, ${adminDevice}, null)`,
      expected: { anon: '42501', nonMember: 'VS003', member: 'VS004', admin: 'ok', owner: 'ok', service: 'ok' },
    },
    {
      name: "get_device_allocation (the admin's device)",
      call: (tx) => tx`select * from public.get_device_allocation(${adminDevice})`,
      expected: { anon: '42501', nonMember: 'VS003', member: 'ok', admin: 'ok', owner: 'ok', service: 'ok' },
    },
    {
      name: 'list_project_allocations',
      call: (tx) => tx`select * from public.list_project_allocations(${project})`,
      expected: { anon: '42501', nonMember: 'VS003', member: 'ok', admin: 'ok', owner: 'ok', service: 'ok' },
    },
    {
      name: 'project_pool_stats',
      call: (tx) => tx`select * from public.project_pool_stats(${project})`,
      expected: { anon: '42501', nonMember: 'VS003', member: 'ok', admin: 'ok', owner: 'ok', service: 'ok' },
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const outcome = {} as Record<Who, string>;
      for (const who of everyone) outcome[who] = await sqlstateOf(as(who, (tx) => c.call(tx, who)));
      expect(outcome).toEqual(c.expected);
    });
  }

  it("release_nebula_ip: the device's owner, project admins and owners, the service role", async () => {
    const outcome = {} as Record<Who, string>;
    for (const who of everyone) {
      // A fresh device of the member each time, since a release changes state.
      const device = crypto.randomUUID();
      await registerAs('member', device);
      outcome[who] = await sqlstateOf(as(who, (tx) => tx`select vidsync_api.release_nebula_ip(${device}, 'test')`));
    }
    expect(outcome).toEqual({ anon: '42501', nonMember: 'VS003', member: 'ok', admin: 'ok', owner: 'ok', service: 'ok' });
    const device = crypto.randomUUID();
    await registerAs('admin', device);
    expect(await sqlstateOf(as('member', (tx) => tx`select vidsync_api.release_nebula_ip(${device}, 'not mine')`))).toBe('VS004');
  });

  it('nobody acts for someone else but the service role', async () => {
    expect(await sqlstateOf(as('member', (tx) => tx`select vidsync_api.create_project('forged', null, ${users.owner})`))).toBe('VS004');
    expect(await sqlstateOf(registerAs('member', crypto.randomUUID(), { owner: users.admin }))).toBe('VS004');
    expect(await sqlstateOf(as('member', (tx) => tx`select vidsync_api.allocate_nebula_ip(${project}, ${memberDevice}, ${users.owner})`))).toBe('VS004');
    // The service role must name the user it acts for.
    expect(await sqlstateOf(as('service', (tx) => tx`select vidsync_api.create_project('nobody', null)`))).toBe('VS005');
    // A device id registered by one user cannot be taken over by another:
    // refused as forbidden to a member of its project (who sees it), as not
    // found to anyone else (registering it into their own project).
    expect(await sqlstateOf(registerAs('admin', memberDevice))).toBe('VS004');
    const [theirs] = await as('nonMember', (tx) => tx<{ id: string }[]>`select id from vidsync_api.create_project('theirs', null)`);
    expect(
      await sqlstateOf(as('nonMember', (tx) => tx`select * from vidsync_api.register_device(${theirs!.id}, ${memberDevice}, 'squat', 'key')`)),
    ).toBe('VS003');
  });

  it('the allocator internals and helpers are not callable by API roles', async () => {
    for (const who of ['anon', 'nonMember', 'member', 'admin', 'owner', 'service'] as const) {
      expect(await sqlstateOf(as(who, (tx) => tx`select vidsync.allocate_ip(${project}, ${memberDevice}, null)`))).toBe('42501');
      expect(await sqlstateOf(as(who, (tx) => tx`select vidsync.release_ip(${memberDevice}, null, 'x')`))).toBe('42501');
      expect(await sqlstateOf(as(who, (tx) => tx`select vidsync.populate_pool(${project}, ${subnet}::cidr)`))).toBe('42501');
    }
  });

  it('every API function is security definer with an empty search_path, and anon may execute none', async () => {
    const rows = await sql<{ name: string; definer: boolean; config: string[] | null; anon: boolean; authenticated: boolean }[]>`
      select n.nspname || '.' || p.proname as name, p.prosecdef as definer, p.proconfig as config,
             has_function_privilege('anon', p.oid, 'execute') as anon,
             has_function_privilege('authenticated', p.oid, 'execute') as authenticated
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname in ('public', 'vidsync_api') and p.prokind = 'f'`;
    expect(rows.map((r) => r.name).sort()).toEqual(
      [
        'public.get_device_allocation',
        'public.list_project_allocations',
        'public.project_pool_stats',
        'public.project_audit_log',
        'vidsync_api.append_audit',
        'vidsync_api.prune_audit_log',
        'vidsync_api.add_project_member',
        'vidsync_api.allocate_nebula_ip',
        'vidsync_api.check_device_quota',
        'vidsync_api.prune_rate_buckets',
        'vidsync_api.take_rate_token',
        'vidsync_api.create_project',
        'vidsync_api.populate_project_pool',
        'vidsync_api.register_device',
        'vidsync_api.release_nebula_ip',
        'vidsync_api.revoke_device',
        'vidsync_api.prepare_renewal',
        'vidsync_api.device_heartbeat',
        'vidsync_api.set_device_api_key',
        'vidsync_api.reclaim_unseen_devices',
        'vidsync_api.set_syncthing_device_id',
        'vidsync_api.pin_device_address',
        'vidsync_api.create_invite',
        'vidsync_api.list_invites',
        'vidsync_api.revoke_invite',
        'vidsync_api.redeem_invite',
        'vidsync_api.list_members',
        'vidsync_api.remove_member',
        'vidsync_api.retire_ca',
        'vidsync_api.set_member_role',
        'vidsync_api.delete_project',
        'vidsync_api.admin_project_usage',
        'vidsync_api.admin_unseen_devices',
        'vidsync_api.admin_expiring_certificates',
        'vidsync_api.admin_busiest_projects',
        'vidsync_api.create_device_invite',
        'vidsync_api.enroll_device',
      ].sort(),
    );
    // The rate-limit functions are the function's own (its postgres connection), never a user's: a user could drain another's bucket.
    // So are the audit log's writer and pruner: a user could forge or drop audit rows.
    // And the SQL editor's admin views: they read every project.
    const serviceOnly = new Set([
      'vidsync_api.take_rate_token', 'vidsync_api.prune_rate_buckets', 'vidsync_api.append_audit', 'vidsync_api.prune_audit_log',
      'vidsync_api.admin_project_usage', 'vidsync_api.admin_unseen_devices', 'vidsync_api.admin_expiring_certificates', 'vidsync_api.admin_busiest_projects',
      // A device invite is redeemed by the function alone, before the device has any identity.
      'vidsync_api.enroll_device',
    ]);
    for (const r of rows) expect(r, r.name).toMatchObject({ definer: true, config: ['search_path=""'], anon: false, authenticated: !serviceOnly.has(r.name) });
  });

  it('keeps in the Data API\'s schemas (public, graphql_public) only read-only functions', async () => {
    const rows = await sql<{ name: string; volatility: string }[]>`
      select n.nspname || '.' || p.proname as name, p.provolatile as volatility
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname in ('public', 'graphql_public') and p.prokind = 'f'
        and has_function_privilege('authenticated', p.oid, 'execute')
        and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')`;
    for (const r of rows) expect(r, r.name).toMatchObject({ volatility: 's' });
  });

  it('every vidsync table has row-level security on', async () => {
    const rows = await sql<{ name: string; rls: boolean }[]>`
      select c.relname as name, c.relrowsecurity as rls from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'vidsync' and c.relkind = 'r'`;
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const r of rows) expect(r, r.name).toMatchObject({ rls: true });
  });
});
