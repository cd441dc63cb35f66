// Review of store/transaction.ts inTransaction (helper RX): a statement of
// `tx` that reaches the driver after the transaction has ended must not run.
// The reserved connection's handler keeps executing on the driver's
// connection object after COMMIT/ROLLBACK and after release(), so such a
// statement runs outside any transaction, autocommitted, as the pool's login
// role (no `set local role`: RLS and the caller's identity are gone), or
// inside the next request's transaction on that connection.
import { describe, expect, it } from 'vitest';
import postgres from 'postgres';
import type { Sql } from 'postgres';
import { asServiceRole, endWith, inTransaction } from '../../supabase/functions/nebula/store/transaction.ts';
import type { Tx } from '../../supabase/functions/nebula/store/transaction.ts';
import type { Caller } from '../../supabase/functions/_shared/auth/index.ts';
import { freshDatabaseWithOwner } from '../support/db.ts';

let sql: Sql;
let url: string;
let owner: string;
freshDatabaseWithOwner((db) => {
  sql = db.sql;
  url = db.url;
  owner = db.owner;
});
const SERVICE: Caller = { userId: '', role: 'service_role', claims: { role: 'service_role' } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bucket = (tx: Tx, subject: string) =>
  tx`insert into vidsync.rate_buckets (subject, route_class, scope, tokens, updated_at) values (${subject}, 'test', 'user', 1, now())`;
const written = async (subject: string) => (await sql`select 1 from vidsync.rate_buckets where subject = ${subject}`).length;

describe('inTransaction: statements after the end', () => {
  it('a failed request leaves nothing written by a sibling step that goes on after the failure', async () => {
    const subject = crypto.randomUUID();
    const failure = await inTransaction(sql, SERVICE, (tx) =>
      asServiceRole(tx, async (tx) => {
        // Two steps at once (as routes do with Promise.all); the first fails, the second has one more statement to send.
        await Promise.all([
          (async () => void (await tx`select 1 / 0`))(),
          (async () => {
            await sleep(200);
            await bucket(tx, subject);
          })(),
        ]);
      }),
    ).catch((e: unknown) => e);
    expect((failure as { code?: string }).code).toBe('22012');
    await sleep(500);
    // Before the fix: 1 — the insert ran after ROLLBACK on the released connection, autocommitted, as the login role.
    expect(await written(subject)).toBe(0);
  });

  it('an ending that reaches its statement only after COMMIT is refused, never run after it: the request fails', async () => {
    // endWith's contract: what it is given is already sent (AuditTrail.record sends before its first await).
    // A step that awaits something first breaks it; its statement must then not run outside the transaction.
    const subject = crypto.randomUUID();
    const late = crypto.randomUUID();
    const failure = await inTransaction(sql, SERVICE, async (tx) => {
      await tx`select set_config('role', 'service_role', true)`;
      await bucket(tx, subject);
      const record = async () => {
        await null;
        await null;
        await bucket(tx, late);
      };
      endWith(tx, record());
      return 'answered';
    }).catch((e: unknown) => e);
    await sleep(200);
    expect((failure as { code?: string }).code).toBe('TRANSACTION_ENDED');
    expect(await written(late)).toBe(0);
  });

  it('a late statement of one request never runs inside the next request\'s transaction, as its caller', async () => {
    const pool = postgres(url, { max: 1, onnotice: () => {} });
    const user: Caller = { userId: owner, role: 'authenticated', claims: { sub: owner, role: 'authenticated' } };
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
      expect(seen).not.toBe(owner);
    } finally {
      await pool.end({ timeout: 1 });
    }
  });
});
