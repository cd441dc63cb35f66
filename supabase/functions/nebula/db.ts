// One transaction per request, with the caller's identity applied the way
// PostgREST applies it: `request.jwt.claims` and `set local role`. Both are
// transaction-local, so nothing leaks into the next request on a pooled
// connection, and RLS decides exactly as it would through the public API.
import type { Sql, TransactionSql } from 'postgres';
import type { Caller } from '../_shared/auth/index.ts';

export type Tx = TransactionSql<Record<string, unknown>>;

/** Roles a request may act as: an allow-list, whatever a token claims. */
const DB_ROLES = ['anon', 'authenticated', 'service_role'] as const;

export type DbRole = (typeof DB_ROLES)[number];

/** Runs `fn` in one transaction as the caller; any throw rolls everything back. */
export async function inTransaction<T>(sql: Sql, caller: Caller, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return (await sql.begin(async (tx) => {
    // One round trip for both settings, as PostgREST does it.
    await tx`select set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true), set_config('role', ${checkedRole(caller.role)}, true)`;
    return fn(tx as Tx);
  })) as T;
}

/**
 * Switches the role inside the current transaction. The function acts as
 * `service_role` only for the steps no user may do directly (reading the
 * sealed CA key, recording an issued certificate), after the user-scoped
 * steps have passed RLS.
 */
export async function actAs(tx: Tx, role: DbRole): Promise<void> {
  await tx`select set_config('role', ${checkedRole(role)}, true)`;
}

function checkedRole(role: string): DbRole {
  if (!(DB_ROLES as readonly string[]).includes(role)) throw new Error(`not a database role a request may take: ${role}`);
  return role as DbRole;
}
