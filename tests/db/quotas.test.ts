// Quotas (vidsync.settings) and rate limits (token buckets in Postgres), at
// the SQL level; tests/api/quotas.test.ts has the HTTP answers.
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { asUser, createUser, freshDatabaseWithOwner, sqlstateOf } from '../support/db.ts';

let sql: Sql;

freshDatabaseWithOwner((db) => {
  sql = db.sql;
}, { max: 10 });

async function project(owner: string, subnet: string | null = null): Promise<string> {
  const [row] = await sql<{ id: string }[]>`select id from vidsync_api.create_project('q', ${subnet}::cidr, ${owner})`;
  return row!.id;
}

/** As the function registers: the quota check, then register_device, in one transaction as the user. */
function register(projectId: string, user: string, device: string = crypto.randomUUID()): Promise<unknown> {
  return asUser(sql, user, 'authenticated', async (tx) => {
    await tx`select vidsync_api.check_device_quota(${projectId}, ${device})`;
    await tx`select * from vidsync_api.register_device(${projectId}, ${device}, ${`laptop ${device}`}, 'PUBLIC KEY PEM')`;
  });
}

type Quota = 'max_projects_per_user' | 'max_devices_per_member' | 'max_devices_per_project';

/** Runs `fn` under these quotas, and puts their defaults back afterwards, also when it fails. */
async function withQuotas(quotas: Partial<Record<Quota, number>>, fn: () => Promise<void>): Promise<void> {
  await sql`update vidsync.settings set ${sql(quotas)}`;
  try {
    await fn();
  } finally {
    await sql.unsafe(`update vidsync.settings set ${Object.keys(quotas).map((column) => `${column} = default`).join(', ')}`);
  }
}

/** A new owner's project with a new member in it. */
async function projectWithMember(subnet: string): Promise<{ owner: string; member: string; p: string }> {
  const [owner, member] = [await createUser(sql), await createUser(sql)];
  const p = await project(owner, subnet);
  await sql`insert into vidsync.project_members (project_id, user_id, role) values (${p}, ${member}, 'member')`;
  return { owner, member, p };
}

describe('quotas', () => {
  it('projects per user: VS011 beyond the quota, for that user only', async () => {
    await withQuotas({ max_projects_per_user: 2 }, async () => {
      const [a, b] = [await createUser(sql), await createUser(sql)];
      await project(a);
      await project(a);
      expect(await sqlstateOf(project(a))).toBe('VS011');
      expect(await sqlstateOf(project(a, '10.150.0.0/24'))).toBe('VS011');
      await project(b);
    });
  });

  it('projects per user hold under concurrency: 10 creations at once with a quota of 3 make exactly 3', async () => {
    await withQuotas({ max_projects_per_user: 3 }, async () => {
      const owner = await createUser(sql);
      const results = await Promise.all(Array.from({ length: 10 }, () => sqlstateOf(project(owner))));
      expect(results.filter((r) => r === 'ok')).toHaveLength(3);
      expect(results.filter((r) => r !== 'ok')).toEqual(Array(7).fill('VS011'));
    });
  });

  it('devices per member and per project: VS011 for a new device; re-registering and releasing are not held up', async () => {
    await withQuotas({ max_devices_per_member: 2, max_devices_per_project: 3 }, async () => {
      const { owner, member, p } = await projectWithMember('10.151.0.0/24');
      const first = crypto.randomUUID();
      await register(p, member, first);
      await register(p, member);
      expect(await sqlstateOf(register(p, member))).toBe('VS011'); // the member's two
      await register(p, member, first); // the same device again
      await register(p, owner);
      expect(await sqlstateOf(register(p, owner))).toBe('VS011'); // the project's three
      // A released device frees its place.
      await sql`select vidsync_api.release_nebula_ip(${first}, 'retired')`;
      await register(p, owner);
      const [live] = await sql<{ n: number }[]>`select count(*)::int as n from vidsync.devices where project_id = ${p} and overlay_ip is not null`;
      expect(live!.n).toBe(3);
    });
  });

  it('devices per member and per project hold under concurrency: 12 first registrations at once with quotas of 3 (member) and 5 (project)', async () => {
    await withQuotas({ max_devices_per_member: 3, max_devices_per_project: 5 }, async () => {
      const { owner, member, p } = await projectWithMember('10.152.0.0/24');
      const mine = await Promise.all(Array.from({ length: 12 }, () => sqlstateOf(register(p, member))));
      expect(mine.filter((r) => r === 'ok')).toHaveLength(3);
      expect(mine.filter((r) => r !== 'ok')).toEqual(Array(9).fill('VS011'));
      const owners = await Promise.all(Array.from({ length: 12 }, () => sqlstateOf(register(p, owner))));
      expect(owners.filter((r) => r === 'ok')).toHaveLength(2);
      const [live] = await sql<{ n: number }[]>`select count(*)::int as n from vidsync.devices where project_id = ${p} and overlay_ip is not null`;
      expect(live!.n).toBe(5);
    });
  });

  it('have defaults that a normal account never meets', async () => {
    const [row] = await sql`select max_projects_per_user, max_devices_per_project, max_devices_per_member from vidsync.settings`;
    expect(row).toEqual({ max_projects_per_user: 100, max_devices_per_project: 1000, max_devices_per_member: 50 });
  });
});

describe('rate limits', () => {
  const take = async (routeClass: string, user: string, projectId: string | null = null) => {
    const [row] = await sql<{ wait: number }[]>`select vidsync_api.take_rate_token(${routeClass}, ${user}, ${projectId}) as wait`;
    return row!.wait;
  };

  it('a bucket lets its capacity through, then answers the seconds until the next token; other users and classes are apart', async () => {
    await sql`update vidsync.rate_limits set capacity = 3, refill_per_second = 0.01 where route_class = 'read' and scope = 'user'`;
    const [a, b] = [await createUser(sql), await createUser(sql)];
    expect([await take('read', a), await take('read', a), await take('read', a)]).toEqual([0, 0, 0]);
    const wait = await take('read', a);
    expect(wait).toBeGreaterThanOrEqual(99);
    expect(wait).toBeLessThanOrEqual(100);
    expect(await take('read', b)).toBe(0);
    expect(await take('write', a)).toBe(0);
    // Time passes (as far as this bucket is concerned): one token back.
    await sql`update vidsync.rate_buckets set updated_at = updated_at - interval '100 seconds' where subject = ${a} and route_class = 'read'`;
    expect(await take('read', a)).toBe(0);
    expect(await take('read', a)).toBeGreaterThan(0);
  });

  it('the project bucket counts only its members\' registrations', async () => {
    await sql`update vidsync.rate_limits set capacity = 2, refill_per_second = 0.01 where route_class = 'register' and scope = 'project'`;
    const [owner, stranger] = [await createUser(sql), await createUser(sql)];
    const p = await project(owner);
    // A stranger cannot drain it.
    for (let i = 0; i < 5; i++) expect(await take('register', stranger, p)).toBe(0);
    expect([await take('register', owner, p), await take('register', owner, p)]).toEqual([0, 0]);
    expect(await take('register', owner, p)).toBeGreaterThan(0);
  });

  it('refuses an unknown class, and only the service role may take or prune tokens', async () => {
    const user = await createUser(sql);
    expect(await sqlstateOf(take('everything', user))).toBe('VS005');
    expect(await sqlstateOf(asUser(sql, user, 'authenticated', (tx) => tx`select vidsync_api.take_rate_token('read', ${user})`))).toBe('42501');
    expect(await sqlstateOf(asUser(sql, null, 'service_role', (tx) => tx`select vidsync_api.take_rate_token('read', ${user})`))).toBe('ok');
  });

  it('prunes buckets that have refilled completely', async () => {
    const user = await createUser(sql);
    await take('write', user);
    await sql`update vidsync.rate_buckets set updated_at = now() - interval '1 day' where subject = ${user}`;
    const [pruned] = await sql<{ n: number }[]>`select vidsync_api.prune_rate_buckets() as n`;
    expect(pruned!.n).toBeGreaterThanOrEqual(1);
    expect(await sql`select 1 from vidsync.rate_buckets where subject = ${user}`).toHaveLength(0);
  });
});
