// inTransaction and a statement the driver cannot build (an undefined
// parameter). postgres.js 3.4.9 queues a statement on the connection before
// it builds it, and when the build throws it rejects the statement then in
// flight instead (connection.js execute(), errored()), leaving the unbuilt
// one waiting for an answer that never comes. With BEGIN pipelined in front
// of fn's first statement, BEGIN would get the error and the request would
// hang with its connection idle in transaction, so inTransaction refuses an
// undefined parameter itself, before the driver sees it, with the driver's
// code.
import { describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { inTransaction } from '../../supabase/functions/nebula/store/transaction.ts';
import { SERVICE, useTransactionWorld } from '../support/transactions.ts';

const world = useTransactionWorld();
const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([work.then((v) => ({ v }), (e: unknown) => ({ e })), new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms))]);

describe.each([
  ['prepared statements', true],
  ['no prepared statements', false],
])('inTransaction with %s: fn\'s first statement cannot be built', (_name, prepare) => {
  it('fails the request at once and leaves the connection usable, every time', async () => {
    const pool = postgres(world.url, { max: 1, prepare, onnotice: () => {} });
    try {
      // The first transaction on the connection prepares the identity statement; from the second on it is pipelined.
      for (let i = 0; i < 3; i++) {
        const outcome = await within(2_000, inTransaction(pool, SERVICE, async (tx) => (await tx`select ${undefined as unknown as number}::int as n`)[0]));
        expect(outcome, `transaction ${i + 1}`).not.toBe('hung');
        expect((outcome as { e?: { code?: string } }).e?.code, `transaction ${i + 1}`).toBe('UNDEFINED_VALUE');
      }
      expect(await within(2_000, pool`select 1 as n`.then((rows) => rows[0]!.n))).toEqual({ v: 1 });
    } finally {
      void pool.end({ timeout: 0.2 });
    }
  }, 15_000);
});

describe('inTransaction: a statement with a value the driver cannot send (an undefined inside an array)', () => {
  it('fails the request at once and the next transaction on the connection runs', async () => {
    const pool = postgres(world.url, { max: 1, onnotice: () => {} });
    try {
      await inTransaction(pool, SERVICE, async (tx) => tx`select 1`); // the identity statement is prepared: pipelined from now on
      const outcome = await within(2_000, inTransaction(pool, SERVICE, async (tx) => (await tx`select ${[1, undefined] as never}::int[] as a`)[0]));
      expect(outcome).not.toBe('hung');
      expect((outcome as { e?: unknown }).e).toBeInstanceOf(Error);
      expect(await within(2_000, inTransaction(pool, SERVICE, async (tx) => (await tx<{ n: number }[]>`select 1 as n`)[0]!.n))).toEqual({ v: 1 });
    } finally {
      void pool.end({ timeout: 0.2 });
    }
  }, 15_000);
});
