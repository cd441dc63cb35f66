// Review of store/transaction.ts inTransaction (helper RX): a statement that
// fails in the driver before it is sent (postgres.js cannot build it: an
// undefined parameter, a value its serializer throws on) must fail the
// request like any other failure. postgres.js 3.4.9 connection.js execute()
// pushes the statement onto `sent` before building it, and when the build
// throws it rejects the statement in flight instead (errored(): `query`),
// leaving the unbuilt one in `sent` waiting for an answer that never comes.
// inTransaction now pipelines fn's first statement behind BEGIN, so with
// prepared statements (the direct connection's default) once the identity
// statement is prepared on the connection, BEGIN is in flight when fn's
// first statement is built: BEGIN gets the error, fn's statement hangs, and
// the connection is wedged for good (idle in transaction, never released).
// inTransaction therefore refuses an undefined parameter itself, before the
// driver sees it, with the driver's code.
import { describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { inTransaction } from '../../supabase/functions/nebula/store/transaction.ts';
import type { Caller } from '../../supabase/functions/_shared/auth/index.ts';
import { freshDatabaseWithOwner } from '../support/db.ts';

let url: string;
freshDatabaseWithOwner((db) => {
  url = db.url;
});
const SERVICE: Caller = { userId: '', role: 'service_role', claims: { role: 'service_role' } };
const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([work.then((v) => ({ v }), (e: unknown) => ({ e })), new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms))]);

describe.each([
  ['prepared statements', true],
  ['no prepared statements', false],
])('inTransaction with %s: fn\'s first statement cannot be built', (_name, prepare) => {
  it('fails the request at once and leaves the connection usable, every time', async () => {
    const pool = postgres(url, { max: 1, prepare, onnotice: () => {} });
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
