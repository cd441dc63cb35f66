// store/transaction.ts endWith against the real Postgres: the statements a
// route leaves to the end of its transaction go out with COMMIT right behind
// them, and one that fails still fails the request and rolls back everything
// the transaction wrote, although fn had already returned.
import { describe, expect, it } from 'vitest';
import { asServiceRole, endWith, inTransaction } from '../../supabase/functions/nebula/store/transaction.ts';
import { SERVICE, useTransactionWorld, writeMarker } from '../support/transactions.ts';

const world = useTransactionWorld();

describe('endWith', () => {
  it('commits the statements left to the end with the rest', async () => {
    const [first, last] = [crypto.randomUUID(), crypto.randomUUID()];
    const answer = await inTransaction(world.sql, SERVICE, (tx) =>
      asServiceRole(tx, async (tx) => {
        await writeMarker(tx, first);
        endWith(tx, writeMarker(tx, last).execute());
        return 'answered before the last write';
      }),
    );
    expect(answer).toBe('answered before the last write');
    expect([await world.written(first), await world.written(last)]).toEqual([1, 1]);
  });

  it('fails the request with the failed statement\'s error and rolls back what came before', async () => {
    const first = crypto.randomUUID();
    const failure = await inTransaction(world.sql, SERVICE, (tx) =>
      asServiceRole(tx, async (tx) => {
        await writeMarker(tx, first);
        // The same row again: the primary key refuses it after fn has returned.
        endWith(tx, writeMarker(tx, first).execute());
        return 'answered';
      }),
    ).catch((e: unknown) => e);
    expect((failure as { code?: string }).code).toBe('23505');
    expect(await world.written(first)).toBe(0);
  });

  it('is refused outside a transaction of inTransaction', () => {
    expect(() => endWith(world.sql as never, Promise.resolve())).toThrow(/not a transaction of inTransaction/);
  });
});
