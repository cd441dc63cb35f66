// Review of store/transaction.ts inTransaction (helper RX): "a caught failure
// still fails the request" relies on Postgres turning COMMIT into ROLLBACK
// once a statement failed. A statement that fails in the driver before it is
// sent (an undefined parameter, a value the serializer throws on) never
// reaches Postgres: the transaction is not aborted, COMMIT commits, and only
// then does throwIfAnyFailed fail the request. The caller gets an error for
// writes that stayed.
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { asServiceRole, inTransaction } from '../../supabase/functions/nebula/store/transaction.ts';
import type { Tx } from '../../supabase/functions/nebula/store/transaction.ts';
import type { Caller } from '../../supabase/functions/_shared/auth/index.ts';
import { freshDatabaseWithOwner } from '../support/db.ts';

let sql: Sql;
freshDatabaseWithOwner((db) => {
  sql = db.sql;
});
const SERVICE: Caller = { userId: '', role: 'service_role', claims: { role: 'service_role' } };
const bucket = (tx: Tx, subject: string) =>
  tx`insert into vidsync.rate_buckets (subject, route_class, scope, tokens, updated_at) values (${subject}, 'test', 'user', 1, now())`;
const written = async (subject: string) => (await sql`select 1 from vidsync.rate_buckets where subject = ${subject}`).length;

describe('inTransaction: a caught failure of a statement never sent', () => {
  it('fails the request and commits nothing', async () => {
    const subject = crypto.randomUUID();
    const failure = await inTransaction(sql, SERVICE, (tx) =>
      asServiceRole(tx, async (tx) => {
        await bucket(tx, subject);
        await tx`select ${undefined as unknown as number}::int`.catch(() => 'swallowed');
        return 'went on';
      }),
    ).catch((e: unknown) => e);
    expect((failure as { code?: string }).code).toBe('UNDEFINED_VALUE');
    // Before the fix: 1 — COMMIT committed, then the request failed.
    expect(await written(subject)).toBe(0);
  });
});
