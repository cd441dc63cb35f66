// The function's per-user gate (nebula/tenants.ts) against the real
// Postgres: one user's requests run at most `maxInFlight` at a time while
// other users pass, and a refusal from the token bucket is remembered until
// Retry-After without asking the database again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { TenantLimiter } from '../../supabase/functions/nebula/tenants.ts';
import { takeRateTokens } from '../../supabase/functions/nebula/store/quotas.ts';
import type { Caller } from '../../supabase/functions/_shared/auth/index.ts';
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';
import { createUser, freshDatabase } from '../support/db.ts';
import type { FreshDatabase } from '../support/db.ts';
import { deferred } from '../support/deferred.ts';

let db: FreshDatabase;
let sql: Sql;

beforeAll(async () => {
  db = await freshDatabase();
  sql = db.sql;
});
afterAll(async () => db?.drop());

function user(id: string): Caller {
  return { userId: id, role: 'authenticated', claims: { sub: id, role: 'authenticated' } };
}

describe('TenantLimiter', () => {
  it('runs at most maxInFlight of one user\'s requests at a time; other users are not held up', async () => {
    const [a, b] = [await createUser(sql), await createUser(sql)];
    const limiter = new TenantLimiter(sql, { maxInFlight: 2 });
    const gate = deferred();
    let peak = 0;
    let running = 0;
    const work = async () => {
      running++;
      peak = Math.max(peak, running);
      await gate.promise;
      running--;
      return 'done';
    };
    const heavy = Array.from({ length: 5 }, () => limiter.admit(user(a), 'read', work));
    await until(() => running === 2 && limiter.load(a).running === 2 && limiter.load(a).queued === 3);
    // B passes while A's five wait.
    expect(await limiter.admit(user(b), 'read', async () => 'b')).toBe('b');
    gate.resolve();
    expect(await Promise.all(heavy)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(peak).toBe(2);
    expect(limiter.load(a)).toEqual({ running: 0, queued: 0 });
  });

  it('runs a user\'s other work (a refusal\'s audit row) in their turn too', async () => {
    const a = await createUser(sql);
    const limiter = new TenantLimiter(sql, { maxInFlight: 1 });
    const gate = deferred();
    let started = 0;
    const first = limiter.admit(user(a), 'read', async () => {
      started++;
      await gate.promise;
    });
    await until(() => started === 1);
    let wrote = false;
    const row = limiter.gated(user(a), async () => {
      wrote = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(wrote).toBe(false);
    expect(limiter.load(a)).toEqual({ running: 1, queued: 1 });
    // Without a user (refused before one was known) it runs at once.
    expect(await limiter.gated(undefined, async () => 'now')).toBe('now');
    gate.resolve();
    await Promise.all([first, row]);
    expect(wrote).toBe(true);
  });

  it('runs a device-signed caller\'s refusal row in the device\'s turn, as it admits its requests', async () => {
    const deviceId = crypto.randomUUID();
    const device: Caller = { userId: '', role: 'service_role', claims: { role: 'service_role', vidsync_device_id: deviceId } };
    const limiter = new TenantLimiter(sql, { maxInFlight: 1 });
    const gate = deferred();
    let started = 0;
    // routeTakesTokens: no token query, only the turn.
    const first = limiter.admit(device, 'read', async () => {
      started++;
      await gate.promise;
    }, { routeTakesTokens: true });
    await until(() => started === 1);
    let wrote = false;
    const row = limiter.gated(device, async () => {
      wrote = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(wrote).toBe(false);
    expect(limiter.load(`device ${deviceId}`)).toEqual({ running: 1, queued: 1 });
    gate.resolve();
    await Promise.all([first, row]);
    expect(wrote).toBe(true);
  });

  it('remembers a refusal until Retry-After: no query meanwhile, then the bucket decides again', async () => {
    await sql`update vidsync.rate_limits set capacity = 1, refill_per_second = 0.1 where route_class = 'write' and scope = 'user'`;
    const a = await createUser(sql);
    let now = 1_000_000;
    const limiter = new TenantLimiter(sql, { maxInFlight: 2, now: () => now });
    expect(await limiter.admit(user(a), 'write', async () => 'first')).toBe('first');
    const refused = await limiter.admit(user(a), 'write', async () => 'second').catch((e: unknown) => e);
    expect(isVidsyncError(refused, 'rate_limited') && refused.details?.retryAfterSeconds).toBe(10);
    const [before] = await sql<{ updated_at: Date }[]>`select updated_at from vidsync.rate_buckets where subject = ${a}`;
    now += 4_000;
    const remembered = await limiter.admit(user(a), 'write', async () => 'third').catch((e: unknown) => e);
    expect(isVidsyncError(remembered, 'rate_limited') && remembered.details?.retryAfterSeconds).toBe(6);
    const [after] = await sql<{ updated_at: Date }[]>`select updated_at from vidsync.rate_buckets where subject = ${a}`;
    expect(after!.updated_at).toEqual(before!.updated_at); // answered from memory
    // Other classes are apart; the service role is never limited.
    expect(await limiter.admit(user(a), 'read', async () => 'read')).toBe('read');
    expect(await limiter.admit({ userId: '', role: 'service_role', claims: {} }, 'write', async () => 'service')).toBe('service');
    // Past Retry-After the database decides again (here: still empty, its clock has not moved).
    now += 7_000;
    const again = await limiter.admit(user(a), 'write', async () => 'fourth').catch((e: unknown) => e);
    expect(isVidsyncError(again, 'rate_limited')).toBe(true);
    const [asked] = await sql<{ updated_at: Date }[]>`select updated_at from vidsync.rate_buckets where subject = ${a}`;
    expect(asked!.updated_at.getTime()).toBeGreaterThan(before!.updated_at.getTime());
  });

  it('a route that takes its own tokens (user and project in one statement): the user\'s refusal is remembered, a project\'s is not', async () => {
    await sql`update vidsync.rate_limits set capacity = 1, refill_per_second = 0.1 where route_class = 'register'`;
    const [a, b] = [await createUser(sql), await createUser(sql)];
    const [project] = await sql<{ id: string }[]>`select id from vidsync_api.create_project('tokens', null, ${a})`;
    await sql`insert into vidsync.project_members (project_id, user_id, role) values (${project!.id}, ${b}, 'member')`;
    let now = 1_000_000;
    const limiter = new TenantLimiter(sql, { maxInFlight: 2, now: () => now });
    const register = (caller: Caller) => limiter.admit(caller, 'register', async () => {
      await takeRateTokens(sql, caller, 'register', project!.id);
      return 'registered';
    }, { routeTakesTokens: true });
    expect(await register(user(a))).toBe('registered');
    // B's own bucket is full, the project's is empty: refused, and B is asked again next time.
    const byProject = await register(user(b)).catch((e: unknown) => e);
    expect(isVidsyncError(byProject, 'rate_limited') && byProject.details).toEqual({ retryAfterSeconds: 10, routeClass: 'register', scope: 'project' });
    const [bBucket] = await sql<{ tokens: number }[]>`select tokens from vidsync.rate_buckets where subject = ${b} and route_class = 'register'`;
    expect(bBucket!.tokens).toBe(0); // the user's token was taken before the project refused
    // Not remembered: B's next request asks the database, whose answer now names B's own bucket.
    const again = await register(user(b)).catch((e: unknown) => e);
    expect(isVidsyncError(again, 'rate_limited') && again.details?.scope).toBe('user');
    // A's own bucket is empty now: refused by it, then from memory without a query.
    const byUser = await register(user(a)).catch((e: unknown) => e);
    expect(isVidsyncError(byUser, 'rate_limited') && byUser.details?.scope).toBe('user');
    const [before] = await sql<{ updated_at: Date }[]>`select updated_at from vidsync.rate_buckets where subject = ${a} and route_class = 'register'`;
    now += 1_000;
    const remembered = await register(user(a)).catch((e: unknown) => e);
    expect(isVidsyncError(remembered, 'rate_limited')).toBe(true);
    const [after] = await sql<{ updated_at: Date }[]>`select updated_at from vidsync.rate_buckets where subject = ${a} and route_class = 'register'`;
    expect(after!.updated_at).toEqual(before!.updated_at);
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}
