// For the suites of store/transaction.ts inTransaction
// (tests/function-parts/transaction*.test.ts): a fresh database, the service
// role as the caller, and a row of the service role's own table to write in
// a transaction and count afterwards.
import type { Sql } from 'postgres';
import type { Caller } from '../../supabase/functions/_shared/auth/index.ts';
import type { Tx } from '../../supabase/functions/nebula/store/transaction.ts';
import { freshDatabaseWithOwner } from './db.ts';

export const SERVICE: Caller = { userId: '', role: 'service_role', claims: { role: 'service_role' } };

export interface TransactionWorld {
  /** A pool of the suite's database (postgres.js, as the tests' own). */
  readonly sql: Sql;
  /** Its URL, for pools a test opens with options of its own. */
  readonly url: string;
  /** A user of it. */
  readonly owner: string;
  /** How many marker rows `subject` has (0 or 1). */
  written(subject: string): Promise<number>;
}

/** The suite's database, filled in beforeAll. */
export function useTransactionWorld(): TransactionWorld {
  const world = {
    written: async (subject: string) => (await world.sql`select 1 from vidsync.rate_buckets where subject = ${subject}`).length,
  } as { -readonly [K in keyof TransactionWorld]: TransactionWorld[K] };
  freshDatabaseWithOwner((db) => {
    Object.assign(world, { sql: db.sql, url: db.url, owner: db.owner });
  });
  return world;
}

/** Writes the marker row of `subject` (as service_role: the table is no user's); a second one is refused (23505). */
export function writeMarker(tx: Tx, subject: string) {
  return tx`insert into vidsync.rate_buckets (subject, route_class, scope, tokens, updated_at) values (${subject}, 'test', 'user', 1, now())`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
