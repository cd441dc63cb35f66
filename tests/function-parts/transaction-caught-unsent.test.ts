// inTransaction and a failure fn catches and goes on from. Usually Postgres
// has aborted the transaction and turns COMMIT into ROLLBACK; but a statement
// the driver refused before sending it never reached Postgres, so COMMIT
// would commit. inTransaction stops before COMMIT instead: the request fails
// and nothing it wrote stays.
import { describe, expect, it } from 'vitest';
import { asServiceRole, inTransaction } from '../../supabase/functions/nebula/store/transaction.ts';
import { SERVICE, useTransactionWorld, writeMarker } from '../support/transactions.ts';

const world = useTransactionWorld();

describe('inTransaction: a caught failure of a statement never sent', () => {
  it('fails the request and commits nothing', async () => {
    const subject = crypto.randomUUID();
    const failure = await inTransaction(world.sql, SERVICE, (tx) =>
      asServiceRole(tx, async (tx) => {
        await writeMarker(tx, subject);
        await tx`select ${undefined as unknown as number}::int`.catch(() => 'swallowed');
        return 'went on';
      }),
    ).catch((e: unknown) => e);
    expect((failure as { code?: string }).code).toBe('UNDEFINED_VALUE');
    // Before the fix: 1 — COMMIT committed, then the request failed.
    expect(await world.written(subject)).toBe(0);
  });
});
