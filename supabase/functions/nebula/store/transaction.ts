// One transaction per request, with the caller's identity applied the way
// PostgREST applies it: `request.jwt.claims` and `set local role`. Both are
// transaction-local, so nothing leaks into the next request on a pooled
// connection, and RLS decides exactly as it would through the public API.
//
// Round trips are the cost of a request, so a statement whose result nobody
// waits for goes out with the next one: BEGIN and the identity with the
// transaction's first query, a switch to service_role with the first query
// after it, and COMMIT right behind a route's last writes, which are
// answered while it builds its answer (endWith). Postgres runs them in the
// order they are sent, and once one fails every later one fails too
// (25P02). (postgres.js pipelines a query with parameters only once it is a
// prepared statement on that connection; see dbPreparedStatements in
// ../settings.ts.)
//
// Order is the security here. postgres.js sends a query when something first
// calls its then(), and `await` on a query calls it a microtask late, so
// queries that were created but not yet awaited may go out after a switch
// issued meanwhile. Hence asServiceRole's rule: await every user-scoped step
// before calling it (tests/api/authz.test.ts registers a lighthouse as a
// plain member to catch the reverse).
import type { PendingQuery, ReservedSql, Row, Sql, TransactionSql } from 'postgres';
import type { Caller } from '../../_shared/auth/index.ts';
import { isConnectionLoss, lossReporterOf } from '../db.ts';

export type Tx = TransactionSql<Record<string, unknown>>;

/** Roles a request may act as: an allow-list, whatever a token claims. */
const DB_ROLES = ['anon', 'authenticated', 'service_role'] as const;

export type DbRole = (typeof DB_ROLES)[number];

/**
 * Runs `fn` in one transaction as the caller; any throw rolls everything
 * back. On a connection of its own, driven here rather than by postgres.js's
 * sql.begin, which waits for BEGIN's answer before fn's first query and for
 * the last statement's before COMMIT: two round trips of every request that
 * nothing needs. Here BEGIN and the identity go out with fn's first query,
 * and COMMIT right behind the statements fn left to the end (endWith).
 */
export async function inTransaction<T>(sql: Sql, caller: Caller, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const reportLoss = lossReporterOf(sql);
  const connection = await sql.reserve();
  const statements = new StatementWatch();
  const tx = statements.watch(connection);
  const closing = new ConnectionWatch();
  let reusable = true;
  try {
    // Not awaited on their own: they go out in one write with fn's first query.
    const opening = [
      closing.begin(tx).execute(),
      tx`select set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true), set_config('role', ${checkedRole(caller.role)}, true)`.execute(),
    ];
    const result = await closing.unlessClosed(fn(tx));
    // A failure fn caught and went on from: no COMMIT (one the driver refused never reached Postgres to abort it).
    statements.throwIfAnyFailed();
    await closing.unlessClosed(Promise.all([...opening, ...endings.get(tx)!, statements.last(tx.unsafe('commit')).execute()]));
    // A statement that failed after fn returned aborted the transaction: its COMMIT was a ROLLBACK.
    statements.throwIfAnyFailed();
    return result;
  } catch (error) {
    reusable = !isConnectionLoss(error) && (await closing.unlessClosed(rolledBack(statements, tx)).catch(() => false));
    if (!reusable) reportLoss();
    throw statements.causeOf(error);
  } finally {
    statements.end();
    closing.forget();
    // A connection that closed under us is in the driver's closed queue already; releasing it would mark it open.
    if (reusable) connection.release();
  }
}

/** The statements each open transaction leaves to its end (endWith), by its tx. */
const endings = new WeakMap<object, Promise<unknown>[]>();

/**
 * Leaves `statements` to the end of the transaction: fn returns without
 * waiting for their answer, and COMMIT goes out right behind them, in the
 * same round trip. For a route's last writes (the certificate and its audit
 * row): the bundle is built while they run, and a failed write still fails
 * the request and rolls everything back (COMMIT then ends the aborted
 * transaction as a ROLLBACK). Each must be already sent when it is passed
 * here: a query executed or awaited, or an async step that does so before
 * its first await of anything else (AuditTrail.record does); a statement
 * that reaches the driver after COMMIT is refused, not run.
 */
export function endWith(tx: Tx, ...statements: Promise<unknown>[]): void {
  const pending = endings.get(tx);
  if (!pending) throw new Error('endWith: not a transaction of inTransaction');
  // Heard even when the transaction fails before it waits for them (their statements' errors are noted as all are).
  for (const statement of statements) Promise.prototype.then.call(statement, undefined, () => {});
  pending.push(...statements);
}

/**
 * Notes every statement's failure as it happens, so that none is an
 * unhandled rejection (a statement a failed step left unawaited would end
 * the Deno process) and the request fails with the first one's error, not
 * with the 25P02 of a later statement that was awaited first (as sql.begin
 * does). The handler is attached with the native then, which, unlike the
 * driver's, does not start the query: it still goes out when its caller
 * first awaits or executes it.
 */
class StatementWatch {
  #first: unknown;
  #failed = false;
  #ended = false;

  watch(connection: ReservedSql): Tx {
    const note = (error: unknown) => {
      if (!this.#failed) [this.#failed, this.#first] = [true, error];
    };
    const watched = <Q>(query: Q): Q => {
      if (!(query instanceof Promise)) return query;
      Promise.prototype.then.call(query, undefined, note);
      return this.#gated(query, (driver) => (q) => (this.#ended ? q.reject(ended()) : driver(q)));
    };
    const tx = new Proxy(connection, {
      // A tagged template makes a query; sql(value) and sql(name) only make its parts.
      apply: (target, thisArg, args: unknown[]) => {
        if (!isTemplate(args[0])) return Reflect.apply(target, thisArg, args);
        refuseUndefined(args.slice(1));
        return watched(Reflect.apply(target, thisArg, args));
      },
      get: (target, property) => {
        if (property !== 'unsafe') return Reflect.get(target, property);
        return (...args: Parameters<ReservedSql['unsafe']>) => {
          refuseUndefined(args[1] ?? []);
          return watched(target.unsafe(...args));
        };
      },
    }) as unknown as Tx;
    endings.set(tx, []);
    return tx;
  }

  throwIfAnyFailed(): void {
    if (this.#failed) throw this.#first;
  }

  /**
   * The statement that ends the transaction (COMMIT, ROLLBACK): once the
   * driver has it, every later statement of the transaction is refused. One
   * that a step still sends after a failure (a sibling in a Promise.all, say)
   * would otherwise run after ROLLBACK, outside any transaction and as the
   * pool's own role, or inside the next request's transaction on this
   * connection, as that request's caller.
   */
  last<Q>(query: Q): Q {
    return this.#gated(query, (driver) => (q) => {
      this.#ended = true;
      return driver(q);
    });
  }

  /** The transaction is over, whatever ended it. */
  end(): void {
    this.#ended = true;
  }

  /**
   * Puts `gate` between the query and the driver: postgres.js hands a query
   * to its connection through the query's own `handler` (query.js handle(),
   * postgres.js 3.4), once, when it is first executed or awaited.
   */
  #gated<Q>(query: Q, gate: (driver: DriverHandler) => DriverHandler): Q {
    const held = query as unknown as { handler: DriverHandler };
    // Gates replace each other: each stands before the driver's own handler.
    const driver = held.handler.driver ?? held.handler;
    held.handler = Object.assign(gate(driver), { debug: driver.debug, driver });
    return query;
  }

  /** The error a failed transaction reports: the first failed statement's when `error` only says the transaction had already failed. */
  causeOf(error: unknown): unknown {
    return this.#failed && (error as { code?: unknown } | null)?.code === '25P02' ? this.#first : error;
  }
}

type DriverHandler = ((query: { reject(error: unknown): void }) => unknown) & { debug?: unknown; driver?: DriverHandler };

function ended(): Error {
  return Object.assign(new Error('a statement of a transaction that has ended (COMMIT or ROLLBACK sent) is not run'), { code: 'TRANSACTION_ENDED' });
}

/**
 * postgres.js refuses an undefined parameter while it builds the statement,
 * after it queued it on the connection, and hands the error to the
 * statement then in flight (BEGIN, here) instead: the undefined one would
 * wait forever. Refused here, before the driver sees it, as the driver
 * words it.
 */
function refuseUndefined(values: readonly unknown[]): void {
  if (values.some((v) => v === undefined)) {
    throw Object.assign(new Error('Undefined values are not allowed'), { code: 'UNDEFINED_VALUE' });
  }
}

function isTemplate(value: unknown): value is TemplateStringsArray {
  return Array.isArray(value) && Array.isArray((value as { raw?: unknown }).raw);
}

/** The driver's connection object, as much of it as a closing needs. */
interface DriverConnection {
  onclose: ((error?: unknown) => void) | null;
}

/**
 * Whether the reserved connection closes under the transaction. A statement
 * already sent fails when it does, but one the driver still holds back (it
 * waits for an unprepared statement's description first) would wait
 * forever, and so would the request. sql.begin races its transaction
 * against the connection's close for the same reason; this does the same,
 * through the driver's per-query `onexecute` hook (postgres.js 3.4, as
 * sql.begin itself learns its connection) and the connection's `onclose`.
 */
class ConnectionWatch {
  #connection: DriverConnection | null = null;
  #closed: Promise<never>;
  #close!: (error: unknown) => void;

  constructor() {
    this.#closed = new Promise<never>((_, reject) => (this.#close = reject));
    this.#closed.catch(() => {});
  }

  /** BEGIN, which tells us its connection when it is sent; true keeps the connection open to the statements behind it. */
  begin(tx: Tx) {
    const onexecute = (c: DriverConnection) => {
      this.#connection = c;
      c.onclose = (error) => this.#close(error ?? Object.assign(new Error('the connection closed'), { code: 'CONNECTION_CLOSED' }));
      return true;
    };
    return tx.unsafe('begin', [], { onexecute } as never);
  }

  unlessClosed<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.#closed]);
  }

  /** The connection outlives the transaction (back in the pool): its next close is not ours. */
  forget(): void {
    if (this.#connection?.onclose) this.#connection.onclose = null;
  }
}

/** Ends a failed transaction; false when the connection cannot say it did (it is gone). */
async function rolledBack(statements: StatementWatch, tx: Tx): Promise<boolean> {
  try {
    await statements.last(tx.unsafe('rollback'));
    return true;
  } catch {
    return false;
  }
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
