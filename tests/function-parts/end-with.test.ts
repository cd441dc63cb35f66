// store/transaction.ts endWith against the real Postgres: the statements a
// route leaves to the end of its transaction are waited for before COMMIT,
// so one that fails still fails the request and rolls back everything the
// transaction wrote, although fn had already returned.
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { asServiceRole, endWith, inTransaction } from '../../supabase/functions/nebula/store/transaction.ts';
import type { Tx } from '../../supabase/functions/nebula/store/transaction.ts';
import type { Caller } from '../../supabase/functions/_shared/auth/index.ts';
import { freshDatabaseWithOwner } from '../support/db.ts';

let sql: Sql;
freshDatabaseWithOwner((db) => {
  sql = db.sql;
});
const SERVICE: Caller = { userId: '', role: 'service_role', claims: { role: 'service_role' } };

/** A row of the service role's own table, for the transaction to write. */
const bucket = (tx: Tx, subject: string) =>
  tx`insert into vidsync.rate_buckets (subject, route_class, scope, tokens, updated_at) values (${subject}, 'test', 'user', 1, now())`;
const written = async (subject: string) => (await sql`select 1 from vidsync.rate_buckets where subject = ${subject}`).length;

describe('endWith', () => {
  it('commits the statements left to the end with the rest', async () => {
    const [first, last] = [crypto.randomUUID(), crypto.randomUUID()];
    const answer = await inTransaction(sql, SERVICE, (tx) =>
      asServiceRole(tx, async (tx) => {
        await bucket(tx, first);
        endWith(tx, bucket(tx, last).execute());
        return 'answered before the last write';
      }),
    );
    expect(answer).toBe('answered before the last write');
    expect([await written(first), await written(last)]).toEqual([1, 1]);
  });

  it('fails the request with the failed statement\'s error and rolls back what came before', async () => {
    const first = crypto.randomUUID();
    const failure = await inTransaction(sql, SERVICE, (tx) =>
      asServiceRole(tx, async (tx) => {
        await bucket(tx, first);
        // The same row again: the primary key refuses it after fn has returned.
        endWith(tx, bucket(tx, first).execute());
        return 'answered';
      }),
    ).catch((e: unknown) => e);
    expect((failure as { code?: string }).code).toBe('23505');
    expect(await written(first)).toBe(0);
  });

  it('is refused outside a transaction of inTransaction', () => {
    expect(() => endWith(sql as never, Promise.resolve())).toThrow(/not a transaction of inTransaction/);
  });
});
