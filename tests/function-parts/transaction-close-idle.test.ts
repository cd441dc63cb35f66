// inTransaction when the connection closes while fn has no statement in
// flight (it is signing, say): the request fails at once (the race against
// the driver's onclose, not a statement's error), the function's pool is
// replaced, and the statement fn sends when it wakes up runs nowhere: the
// transaction has ended, so inTransaction refuses it (TRANSACTION_ENDED)
// before the driver would write it to the closed socket (an uncaught
// TypeError, porsager/postgres#1154) or run it elsewhere.
import { describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { openPool } from '../../supabase/functions/nebula/db.ts';
import { asServiceRole, inTransaction } from '../../supabase/functions/nebula/store/transaction.ts';
import { SERVICE, sleep, useTransactionWorld, writeMarker } from '../support/transactions.ts';

const world = useTransactionWorld();

describe('inTransaction: the connection closes while fn awaits something else', () => {
  it('fails at once, replaces the pool, and the statement fn sends afterwards runs nowhere', async () => {
    const replaced: string[] = [];
    const pool = openPool(() => postgres(world.url, { max: 1, onnotice: () => {} }), { error: (m) => replaced.push(m) });
    const watcher = postgres(world.url, { max: 1, onnotice: () => {} });
    const [before, after] = [crypto.randomUUID(), crypto.randomUUID()];
    let late: unknown = 'not sent';
    try {
      const started = performance.now();
      const failure = await inTransaction(pool, SERVICE, (tx) =>
        asServiceRole(tx, async (tx) => {
          await writeMarker(tx, before);
          const [me] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
          await watcher`select pg_terminate_backend(${me!.pid})`;
          await sleep(1_000); // no statement in flight: only the connection's close can tell
          late = await writeMarker(tx, after).then(() => 'ran', (e: { code?: string }) => e.code);
        }),
      ).catch((e: { code?: string }) => e.code);
      expect(failure).toBe('CONNECTION_CLOSED');
      expect(performance.now() - started).toBeLessThan(900);
      expect(replaced).toHaveLength(1);
      await sleep(1_300);
      expect(late).toBe('TRANSACTION_ENDED');
      expect([await world.written(before), await world.written(after)]).toEqual([0, 0]);
      expect(await inTransaction(pool, SERVICE, async (tx) => (await tx<{ n: number }[]>`select 1 as n`)[0]!.n)).toBe(1);
      expect(replaced).toHaveLength(1);
    } finally {
      await pool.end({ timeout: 1 });
      await watcher.end({ timeout: 1 });
    }
  });
});
