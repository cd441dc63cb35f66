// inTransaction never runs a statement of `tx` that reaches the driver after
// the transaction has ended. The reserved connection would execute it after
// COMMIT/ROLLBACK and after release(): outside any transaction, autocommitted,
// as the pool's login role (RLS and the caller's identity gone), or inside the
// next request's transaction on that connection, as that request's caller
// (sql.begin has the same hole). inTransaction refuses it (TRANSACTION_ENDED).
import { describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { asServiceRole, endWith, inTransaction } from '../../supabase/functions/nebula/store/transaction.ts';
import type { Caller } from '../../supabase/functions/_shared/auth/index.ts';
import { SERVICE, sleep, useTransactionWorld, writeMarker } from '../support/transactions.ts';

const world = useTransactionWorld();

describe('inTransaction: statements after the end', () => {
  it('a failed request leaves nothing written by a sibling step that goes on after the failure', async () => {
    const subject = crypto.randomUUID();
    const failure = await inTransaction(world.sql, SERVICE, (tx) =>
      asServiceRole(tx, async (tx) => {
        // Two steps at once (as routes do with Promise.all); the first fails, the second has one more statement to send.
        await Promise.all([
          (async () => void (await tx`select 1 / 0`))(),
          (async () => {
            await sleep(200);
            await writeMarker(tx, subject);
          })(),
        ]);
      }),
    ).catch((e: unknown) => e);
    expect((failure as { code?: string }).code).toBe('22012');
    await sleep(500);
    // Before the fix: 1 — the insert ran after ROLLBACK on the released connection, autocommitted, as the login role.
    expect(await world.written(subject)).toBe(0);
  });

  it('an ending that reaches its statement only after COMMIT is refused, never run after it: the request fails', async () => {
    // endWith's contract: what it is given is already sent (AuditTrail.record sends before its first await).
    // A step that awaits something first breaks it; its statement must then not run outside the transaction.
    const subject = crypto.randomUUID();
    const late = crypto.randomUUID();
    const failure = await inTransaction(world.sql, SERVICE, async (tx) => {
      await tx`select set_config('role', 'service_role', true)`;
      await writeMarker(tx, subject);
      const record = async () => {
        await null;
        await null;
        await writeMarker(tx, late);
      };
      endWith(tx, record());
      return 'answered';
    }).catch((e: unknown) => e);
    await sleep(200);
    expect((failure as { code?: string }).code).toBe('TRANSACTION_ENDED');
    expect(await world.written(late)).toBe(0);
  });

  it('a late statement of one request never runs inside the next request\'s transaction, as its caller', async () => {
    const pool = postgres(world.url, { max: 1, onnotice: () => {} });
    const user: Caller = { userId: world.owner, role: 'authenticated', claims: { sub: world.owner, role: 'authenticated' } };
    try {
      await inTransaction(pool, user, async (tx) => tx`select 1`); // the identity statement is prepared: pipelined from now on
      let seen: unknown = 'not run';
      const a = inTransaction(pool, SERVICE, (tx) =>
        asServiceRole(tx, async (tx) => {
          await Promise.all([
            (async () => void (await tx`select 1 / 0`))(),
            (async () => {
              await sleep(200);
              seen = (await tx<{ sub: string | null }[]>`select auth.uid()::text as sub`)[0]!.sub;
            })(),
          ]);
        }),
      ).catch((e: { code?: string }) => e.code);
      await sleep(100);
      const b = inTransaction(pool, user, async (tx) => (await tx`select pg_sleep(0.4)`).length);
      expect(await a).toBe('22012');
      await b.catch(() => {});
      await sleep(100);
      // Before the fix: the owner's id — request A's statement ran in request B's transaction, as B's caller.
      expect(seen).not.toBe(world.owner);
    } finally {
      await pool.end({ timeout: 1 });
    }
  });
});
