// store/transaction.ts inTransaction against the real Postgres: it drives the
// transaction on a reserved connection itself (BEGIN goes out with the first
// query, COMMIT behind the last), so it must keep what sql.begin promised:
// all or nothing, the first failure as the cause, no statement left to fail
// unheard, and a connection that dies under it fails the request at once
// and its pool is replaced (the driver would send its stale bytes again).
import { describe, expect, it } from 'vitest';
import postgres from 'postgres';
import type { Sql } from 'postgres';
import { openPool } from '../../supabase/functions/nebula/db.ts';
import { asServiceRole, endWith, inTransaction } from '../../supabase/functions/nebula/store/transaction.ts';
import type { Tx } from '../../supabase/functions/nebula/store/transaction.ts';
import { SERVICE, useTransactionWorld, writeMarker } from '../support/transactions.ts';

const world = useTransactionWorld();

const asService = <T>(pool: Sql, fn: (tx: Tx) => Promise<T>) => inTransaction(pool, SERVICE, (tx) => asServiceRole(tx, fn));

describe('inTransaction', () => {
  it('is one transaction: its statements share one transaction id, and a throw rolls all of them back', async () => {
    const ids = await asService(world.sql, async (tx) => {
      const [a] = await tx<{ id: string }[]>`select txid_current()::text as id`;
      const [b] = await tx<{ id: string }[]>`select txid_current()::text as id`;
      return [a!.id, b!.id];
    });
    expect(ids[0]).toBe(ids[1]);

    const subject = crypto.randomUUID();
    const thrown = await asService(world.sql, async (tx) => {
      await writeMarker(tx, subject);
      throw new Error('after the write');
    }).catch((e: Error) => e.message);
    expect(thrown).toBe('after the write');
    expect(await world.written(subject)).toBe(0);
  });

  it('fails with the first failed statement, not with the 25P02 of one awaited before it', async () => {
    const failure = await asService(world.sql, async (tx) => {
      const first = tx`select 1 / 0`.execute();
      const second = tx`select 1`.execute();
      await second;
      await first;
    }).catch((e: unknown) => e);
    expect((failure as { code?: string }).code).toBe('22012');
  });

  // Postgres aborts the transaction on the first; the second, which the driver refuses while it builds it
  // (an undefined inside an array), never reaches Postgres, so COMMIT would commit: inTransaction stops first.
  it.each([
    ['Postgres refused', (tx: Tx) => tx`select 1 / 0`, '22012'],
    ['the driver refused before sending it', (tx: Tx) => tx`select ${[1, undefined] as never}::int[]`, 'UNDEFINED_VALUE'],
  ])('does not commit when fn caught a statement %s and went on', async (_what, failing, code) => {
    const subject = crypto.randomUUID();
    const failure = await asService(world.sql, async (tx) => {
      await writeMarker(tx, subject);
      await failing(tx).catch(() => 'swallowed');
      return 'went on';
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as { code?: string }).code).toBe(code);
    expect(await world.written(subject)).toBe(0);
  });

  it('leaves no statement to fail unheard when fn throws before awaiting it', async () => {
    // Vitest fails the run on an unhandled rejection: the unawaited statement's must be heard.
    const thrown = await asService(world.sql, async (tx) => {
      void tx`select 1 / 0`.execute();
      throw new Error('before awaiting');
    }).catch((e: Error) => e.message);
    expect(thrown).toBe('before awaiting');
    await new Promise((r) => setTimeout(r, 50));
  });

  it('leaves no statement left to the end to fail unheard when the transaction fails before waiting for it', async () => {
    // Vitest fails the run on an unhandled rejection: the ending's 25P02 must be heard.
    const failure = await asService(world.sql, async (tx) => {
      await tx`select 1 / 0`.catch(() => 'swallowed');
      // An async step, as AuditTrail.record is: its own promise fails with its statement.
      endWith(tx, (async () => void (await tx`select 2`))());
      return 'went on';
    }).catch((e: unknown) => e);
    expect((failure as { code?: string }).code).toBe('22012');
    await new Promise((r) => setTimeout(r, 50));
  });

  it('works the same without prepared statements (Supavisor\'s transaction mode)', async () => {
    const pool = postgres(world.url, { max: 1, prepare: false, onnotice: () => {} });
    try {
      const subject = crypto.randomUUID();
      expect(await asService(pool, async (tx) => {
        await writeMarker(tx, subject);
        const [row] = await tx<{ n: number }[]>`select ${41}::int + 1 as n`;
        return row!.n;
      })).toBe(42);
      expect(await world.written(subject)).toBe(1);
      const failure = await asService(pool, async (tx) => {
        const first = tx`select ${1}::int / 0`.execute();
        await tx`select ${2}::int`;
        await first;
      }).catch((e: unknown) => e);
      expect((failure as { code?: string }).code).toBe('22012');
    } finally {
      await pool.end({ timeout: 1 });
    }
  });

  it('fails at once when its connection is dropped mid-transaction, even waiting on a statement the driver held back, and the pool serves the next one', async () => {
    // The function's pool: a connection lost under a transaction is never used again, the pool is replaced (nebula/db.ts).
    const replaced: string[] = [];
    const pool = openPool(() => postgres(world.url, { max: 1, onnotice: () => {} }), { error: (m) => replaced.push(m) });
    const watcher = postgres(world.url, { max: 1, onnotice: () => {} });
    try {
      const subject = crypto.randomUUID();
      const started = performance.now();
      const failure = await asService(pool, async (tx) => {
        await writeMarker(tx, subject);
        const [me] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
        setTimeout(() => void watcher`select pg_terminate_backend(${me!.pid})`.execute(), 300);
        // A statement new to the connection is described first; the driver holds the next one back meanwhile.
        const slow = tx.unsafe(`select pg_sleep(3), $1::text as marker /* ${subject} */`, [subject]).execute();
        const heldBack = tx`select 2`.execute();
        await heldBack;
        await slow;
      }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(Error);
      expect(performance.now() - started).toBeLessThan(2_500);
      expect(await world.written(subject)).toBe(0);
      expect(replaced).toHaveLength(1);
      expect(await asService(pool, async (tx) => (await tx<{ n: number }[]>`select 1 as n`)[0]!.n)).toBe(1);
    } finally {
      await pool.end({ timeout: 1 });
      await watcher.end({ timeout: 1 });
    }
  });
});
