// One transaction per request, with the caller's identity applied the way
// PostgREST applies it: `request.jwt.claims` and `set local role`. Both are
// transaction-local, so nothing leaks into the next request on a pooled
// connection, and RLS decides exactly as it would through the public API.
//
// Round trips are the cost of a request, so a statement whose result nobody
// waits for goes out with the next one: the identity with the transaction's
// first query, a switch to service_role with the first query after it, and a
// route's last writes are answered while it builds its answer (endWith).
// Postgres runs them in the order they are sent, and once one fails every
// later one fails too (25P02). (postgres.js pipelines a query with
// parameters only once it is a prepared statement on that connection; see
// dbPreparedStatements in ../settings.ts.)
//
// Order is the security here. postgres.js sends a query when something first
// calls its then(), and `await` on a query calls it a microtask late, so
// queries that were created but not yet awaited may go out after a switch
// issued meanwhile. Hence asServiceRole's rule: await every user-scoped step
// before calling it (tests/api/authz.test.ts registers a lighthouse as a
// plain member to catch the reverse).
import type { PendingQuery, Row, Sql, TransactionSql } from 'postgres';
import type { Caller } from '../../_shared/auth/index.ts';

export type Tx = TransactionSql<Record<string, unknown>>;

/** Roles a request may act as: an allow-list, whatever a token claims. */
const DB_ROLES = ['anon', 'authenticated', 'service_role'] as const;

export type DbRole = (typeof DB_ROLES)[number];

/** Runs `fn` in one transaction as the caller; any throw rolls everything back. */
export async function inTransaction<T>(sql: Sql, caller: Caller, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return (await sql.begin(async (tx) => {
    const pending: Promise<unknown>[] = [];
    endings.set(tx, pending);
    // Not awaited on its own: it goes out in one write with fn's first query.
    const identity = tx`select set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true), set_config('role', ${checkedRole(caller.role)}, true)`.execute();
    const result = await fn(tx as Tx);
    await Promise.all([identity, ...pending]);
    return result;
  })) as T;
}

/** The statements each open transaction leaves to its end (endWith), by its tx. */
const endings = new WeakMap<object, Promise<unknown>[]>();

/**
 * Leaves `statements` (already sent, in the order they must run) to the end
 * of the transaction: fn returns without waiting for their answer, and
 * inTransaction waits for it before COMMIT. For a route's last writes (the
 * certificate and its audit row): the bundle is built while they run, and a
 * failed write still fails the request and rolls everything back. Nothing
 * sent after them may need their answer.
 */
export function endWith(tx: Tx, ...statements: Promise<unknown>[]): void {
  const pending = endings.get(tx);
  if (!pending) throw new Error('endWith: not a transaction of inTransaction');
  pending.push(...statements);
}

/**
 * Runs `fn` as `service_role`, for the steps no user may do directly
 * (reading a sealed CA key, recording an issued certificate, reading the
 * pool's cooling times). Call it only once every user-scoped step before it
 * has been awaited: those steps must pass RLS and the SQL functions' checks
 * as the caller. The role stays switched until the transaction ends, so it
 * is for the last steps of a request. The switch goes out with fn's first
 * query: it costs no round trip of its own.
 */
export async function asServiceRole<T>(tx: Tx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const switched = tx`select set_config('role', 'service_role', true)`.execute();
  const result = await fn(tx);
  await switched;
  return result;
}

/**
 * Statements a request sends as the caller, built but not yet sent, and how
 * to read their answer: what callerThenServiceRole sends ahead of its switch.
 */
export interface CallerSteps<A> {
  readonly queries: readonly PendingQuery<Row[]>[];
  readonly answer: (results: readonly Row[][]) => A;
}

/**
 * The caller's `steps`, then asServiceRole(fn), in one round trip where
 * awaiting the steps first would take two. As safe as that: the steps go out
 * first, in order, and the switch behind them, and Postgres runs a
 * transaction's statements in the order they arrive and, once one fails,
 * none after it (25P02). So no service_role statement runs unless every step
 * of the caller's has passed, and the request fails with the step's error.
 * `fn` must not need the steps' answer (it gets it once both are back).
 */
export async function callerThenServiceRole<A, T>(tx: Tx, steps: CallerSteps<A>, fn: (tx: Tx) => Promise<T>): Promise<[A, T]> {
  // execute() fixes each statement's place in the order now, before the switch is built.
  const sent = steps.queries.map((query) => query.execute());
  const [results, result] = await Promise.all([Promise.all(sent), asServiceRole(tx, fn)]);
  return [steps.answer(results), result];
}

function checkedRole(role: string): DbRole {
  if (!(DB_ROLES as readonly string[]).includes(role)) throw new Error(`not a database role a request may take: ${role}`);
  return role as DbRole;
}
