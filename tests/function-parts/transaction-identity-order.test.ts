// inTransaction applies the caller's identity before anything of fn's, whatever
// fn's first statement is. The identity goes out pipelined with fn's first
// query, so no statement of fn may reach Postgres before
// `set_config('role', …)`: not a parametrised one (held back for its
// description), not an unparametrised or simple-protocol one (pipelined at
// once), with or without prepared statements (Supavisor's transaction mode).
// And the statements a route leaves to the end the way audit.record does
// (an async function whose first await is its statement) still run inside
// the transaction, before COMMIT.
import { describe, expect, it } from 'vitest';
import postgres from 'postgres';
import type { Sql } from 'postgres';
import { asServiceRole, endWith, inTransaction } from '../../supabase/functions/nebula/store/transaction.ts';
import type { Tx } from '../../supabase/functions/nebula/store/transaction.ts';
import type { Caller } from '../../supabase/functions/_shared/auth/index.ts';
import { useTransactionWorld } from '../support/transactions.ts';

const world = useTransactionWorld();

type Seen = { role: string; sub: string | null; xid: string };
const seen = (rows: readonly Record<string, unknown>[]): Seen => {
  const row = rows[0]!;
  return { role: String(row.role), sub: (row.sub as string | null) ?? null, xid: String(row.xid) };
};

describe.each([
  ['prepared statements', true],
  ['no prepared statements (Supavisor transaction mode)', false],
])('inTransaction with %s', (_name, prepare) => {
  const withPool = async <T>(fn: (pool: Sql) => Promise<T>) => {
    const pool = postgres(world.url, { max: 1, prepare, onnotice: () => {} });
    try {
      return await fn(pool);
    } finally {
      await pool.end({ timeout: 1 });
    }
  };
  const user = (): Caller => ({ userId: world.owner, role: 'authenticated', claims: { sub: world.owner, role: 'authenticated' } });
  const firsts: Array<[string, (tx: Tx) => Promise<readonly Record<string, unknown>[]>]> = [
    ['a parametrised statement, executed before any await', (tx) => tx`select current_setting('role') as role, auth.uid()::text as sub, txid_current()::text as xid, ${1}::int as n`.execute()],
    ['an unparametrised statement', (tx) => tx`select current_setting('role') as role, auth.uid()::text as sub, txid_current()::text as xid`.execute()],
    ['a simple-protocol statement (unsafe without parameters)', (tx) => tx.unsafe(`select current_setting('role') as role, auth.uid()::text as sub, txid_current()::text as xid`).execute()],
  ];

  it.each(firsts)('fn\'s first statement runs as the caller: %s', async (_what, first) => {
    // Twice on one connection: the second time, a parametrised statement is already prepared (pipelined at once).
    await withPool(async (pool) => {
      for (let i = 0; i < 2; i++) {
        const got = await inTransaction(pool, user(), async (tx) => seen(await first(tx)));
        expect(got.role).toBe('authenticated');
        expect(got.sub).toBe(world.owner);
      }
    });
  });

  it('an ending shaped like audit.record (async, asServiceRole, then its statement) runs before COMMIT', async () => {
    await withPool(async (pool) => {
      const record = async (tx: Tx, out: Seen[]) => {
        await asServiceRole(tx, async (tx) => {
          out.push(seen(await tx`select current_setting('role') as role, auth.uid()::text as sub, txid_current()::text as xid, ${'x'}::text as a`));
        });
      };
      const out: Seen[] = [];
      const inside = await inTransaction(pool, user(), async (tx) => {
        const here = seen(await tx`select current_setting('role') as role, auth.uid()::text as sub, txid_current()::text as xid`);
        endWith(tx, record(tx, out));
        return here;
      });
      expect(out).toHaveLength(1);
      expect(out[0]!.role).toBe('service_role');
      expect(out[0]!.xid).toBe(inside.xid);
    });
  });
});
