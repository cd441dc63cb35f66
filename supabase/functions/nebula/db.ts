// The function's Postgres pool, and how it survives a dropped connection.
//
// postgres.js 3.4.9 goes on writing to a connection that has closed under a
// transaction: the ROLLBACK sent after a failed step, or a statement
// pipelined just before, is buffered for a socket that is gone
// (porsager/postgres#1154, #1208; no release fixes it). Two things follow:
//   - the write is scheduled with setImmediate and throws a TypeError outside
//     any request, which, uncaught, ends the whole process: one connection
//     dropped between a registration's allocation and its commit
//     (pg_terminate_backend, a pooler restart, an idle timeout) killed every
//     request in flight on the worker;
//   - the connection keeps the stale bytes, and every later use of it sends
//     them first: its requests hang until connect_timeout (30 s).
// Neither can be repaired from outside the driver. So the function catches
// exactly that TypeError (under Deno, on the global `error` event), and
// whenever a transaction fails because its connection is gone, it replaces
// the pool: later requests get fresh connections, the old pool's other
// requests get a second to finish, then it is closed. Their transactions
// roll back in Postgres, as for any dropped connection
// (tests/api/fault-injection.test.ts).
import postgres from 'postgres';
import type { Sql } from 'postgres';

/** How long the replaced pool's other requests may take to finish. */
const DRAIN_SECONDS = 1;

export interface PoolLogger {
  error(message: string): void;
}

/** The error postgres.js throws from a write scheduled on a closed connection. */
export function isWriteAfterClose(error: unknown): boolean {
  return error instanceof TypeError && /reading 'write'|evaluating 'socket\.write'/.test(error.message) && /\bnextWrite\b/.test(error.stack ?? '');
}

/** An error that says the connection itself is gone (not a refused statement). */
export function isConnectionLoss(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  if (severity === 'FATAL' || severity === 'PANIC') return true;
  if (typeof code !== 'string') return false;
  // postgres.js's own codes, then SQLSTATE class 08 (connection exception) and 57P01-57P03 (shutdown).
  return /^(CONNECTION_(CLOSED|DESTROYED|ENDED)|CONNECT_TIMEOUT)$/.test(code) || /^08...$|^57P0[123]$/.test(code);
}

/**
 * A pool that stands in for `open()`'s and replaces it as described above.
 * The returned Sql is stable: callers keep it for the life of the function.
 */
export function openPool(open: () => Sql, log: PoolLogger): Sql {
  let current = open();
  const replace = (why: string) => {
    log.error(`nebula: ${why}; the database pool is replaced`);
    const broken = current;
    current = open();
    broken.end({ timeout: DRAIN_SECONDS }).catch(() => {});
  };

  // For transactions on a reserved connection (store/transaction.ts): the pool it came from is replaced, if still in use.
  const reporter = () => {
    const pool = current;
    return () => {
      if (pool === current) replace('a connection closed under a transaction');
    };
  };
  const target = function () {} as unknown as Sql;
  const sql = new Proxy(target, {
    apply: (_target, _this, args: unknown[]) => (current as unknown as (...a: unknown[]) => unknown)(...args),
    get: (_target, property) => (property === LOSS_REPORTER ? reporter : Reflect.get(current, property)),
  });

  if (typeof globalThis.addEventListener === 'function' && 'Deno' in globalThis) {
    globalThis.addEventListener('error', (event) => {
      if (!isWriteAfterClose((event as ErrorEvent).error)) return;
      event.preventDefault();
      replace('postgres.js wrote to a closed connection');
    });
  }
  return sql;
}

const LOSS_REPORTER = Symbol('vidsync.db.lossReporter');

/**
 * For a transaction about to reserve a connection of `sql`: what to call
 * when that connection turns out to be gone (it closed, or could not take
 * the ROLLBACK), so that the pool it came from is replaced (openPool above).
 * A plain postgres.js pool has nothing to replace.
 */
export function lossReporterOf(sql: Sql): () => void {
  const reporter = (sql as unknown as Record<symbol, unknown>)[LOSS_REPORTER];
  return typeof reporter === 'function' ? (reporter as () => () => void)() : () => {};
}

/** The function's pool: postgres.js with the function's options. */
export function openPostgres(url: string, options: postgres.Options<Record<string, postgres.PostgresType>>, log: PoolLogger): Sql {
  return openPool(() => postgres(url, options), log);
}
