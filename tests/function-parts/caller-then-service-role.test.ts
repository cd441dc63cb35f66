// store/transaction.ts callerThenServiceRole against the real Postgres: the
// caller's steps and the service_role statements behind them go out in one
// round trip, and when a step of the caller's fails, nothing behind the
// switch runs: the request fails with that step's error.
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { asServiceRole, callerThenServiceRole, inTransaction } from '../../supabase/functions/nebula/store/transaction.ts';
import type { Caller } from '../../supabase/functions/_shared/auth/index.ts';
import { createUser, freshDatabaseWithOwner } from '../support/db.ts';

let sql: Sql;
let a: string;
freshDatabaseWithOwner((db) => {
  sql = db.sql;
  a = db.owner;
});
const asUserA = (): Caller => ({ userId: a, role: 'authenticated', claims: { sub: a, role: 'authenticated' } });

describe('callerThenServiceRole', () => {
  it('runs the caller\'s steps as the caller, then the rest as service_role', async () => {
    const [steps, privileged] = await inTransaction(sql, asUserA(), (tx) =>
      callerThenServiceRole(
        tx,
        { queries: [tx`select current_setting('role') as role, auth.uid() as uid`], answer: ([rows]) => rows![0] },
        (tx) => tx`select current_setting('role') as role, count(*)::int as cas from vidsync.project_cas`,
      ),
    );
    expect(steps).toEqual({ role: 'authenticated', uid: a });
    expect(privileged[0]).toMatchObject({ role: 'service_role' });
  });

  it('a failing step of the caller\'s: its error, and no statement behind the switch ran', async () => {
    const stranger = await createUser(sql);
    const [project] = await sql<{ id: string }[]>`select id from vidsync_api.create_project('theirs', null, ${stranger})`;
    const marker = crypto.randomUUID();
    const failure = await inTransaction(sql, asUserA(), (tx) =>
      callerThenServiceRole(
        tx,
        // Not a member of the stranger's project: VS003.
        { queries: [tx`select vidsync_api.check_device_quota(${project!.id}, gen_random_uuid())`], answer: () => null },
        // Would leave a row if it ran; it never does, and nothing is committed either.
        (tx) => tx`insert into vidsync.rate_buckets (subject, route_class, scope, tokens, updated_at) values (${marker}, 'test', 'user', 1, now())`,
      ),
    ).catch((e: unknown) => e);
    expect((failure as { code?: string }).code).toBe('VS003');
    const rows = await sql`select 1 from vidsync.rate_buckets where subject = ${marker}`;
    expect(rows.length).toBe(0);
    // The same insert after a passing step does run (the test can fail).
    await inTransaction(sql, asUserA(), (tx) =>
      callerThenServiceRole(tx, { queries: [tx`select 1`], answer: () => null }, (tx) =>
        asServiceRole(tx, (tx) => tx`insert into vidsync.rate_buckets (subject, route_class, scope, tokens, updated_at) values (${marker}, 'test', 'user', 1, now())`),
      ),
    );
    expect((await sql`select 1 from vidsync.rate_buckets where subject = ${marker}`).length).toBe(1);
  });
});
