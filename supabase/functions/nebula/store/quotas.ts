// Rate limits and quotas, both held in Postgres (see the migration
// 20251130020200_vidsync_quotas_rate_limits.sql).
//
// Rate limits are token buckets per user and route class, and per project for
// registrations. A token is taken in a statement of its own, before the
// request's transaction: a request that fails later does not give it back,
// and no bucket row stays locked while the request runs (one user's many
// parallel requests would otherwise queue behind each other's transactions).
// Quotas (projects per user, devices per project and per member) are checked
// inside the request's transaction, by the SQL that creates the row.
import type { PendingQuery, Row, Sql } from 'postgres';
import type { Caller } from '../../_shared/auth/index.ts';
import { VidsyncError } from '../../_shared/errors.ts';
import type { Tx } from './transaction.ts';

/** The classes of vidsync.rate_limits. */
export type RouteClass = 'project_create' | 'register' | 'read' | 'write' | 'join';

/** Which bucket a route draws from: creation, registration and joining their own, then reads and other writes. */
export function routeClassOf(method: string, pattern: string): RouteClass {
  if (method === 'POST' && pattern === '/projects') return 'project_create';
  if (method === 'POST' && pattern === '/register') return 'register';
  // Every redemption, so wrong codes cannot be tried quickly (20251130080000).
  if (method === 'POST' && pattern === '/join') return 'join';
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

/**
 * Takes a token from the user's bucket of `routeClass`, or throws 429
 * `rate_limited` with the seconds to wait in `details.retryAfterSeconds`
 * (the Retry-After header). The service role is not limited.
 */
export async function takeRateToken(sql: Sql, caller: Caller, routeClass: RouteClass): Promise<void> {
  if (caller.role !== 'authenticated' || !caller.userId) return;
  refuseIfWaiting(routeClass, 'user', await take(sql, routeClass, caller.userId, null));
}

/**
 * The same for a device-signed request (device-auth.ts), which runs as the
 * service role: a token from the device's own bucket of `routeClass` (the
 * `user` scope's limits, with the device id as the bucket's subject).
 */
export async function takeDeviceRateToken(sql: Sql, deviceId: string, routeClass: RouteClass): Promise<void> {
  refuseIfWaiting(routeClass, 'user', await take(sql, routeClass, deviceId, null));
}

/**
 * The user's token and then, once granted, one from the project's bucket of
 * `routeClass` (registrations: all members of a project together), in one
 * statement: a route whose project is in its body takes both at once
 * (tenants.ts, `routeTakesTokens`). The project's token is drawn only when
 * the caller is a member, so nobody drains the bucket of a project they do
 * not belong to. A refusal says which bucket refused in `details.scope`.
 */
export async function takeRateTokens(sql: Sql, caller: Caller, routeClass: RouteClass, projectId: string): Promise<void> {
  if (caller.role !== 'authenticated' || !caller.userId) return;
  // The user's bucket first (the subquery, kept apart by offset 0), the project's only if it granted one.
  const [row] = await sql<{ user_wait: number; project_wait: number }[]>`
    select t.user_wait,
           case when t.user_wait = 0 then vidsync_api.take_rate_token(${routeClass}, ${caller.userId}, ${projectId}) else 0 end as project_wait
      from (select vidsync_api.take_rate_token(${routeClass}, ${caller.userId}) as user_wait offset 0) t`;
  refuseIfWaiting(routeClass, 'user', row!.user_wait);
  refuseIfWaiting(routeClass, 'project', row!.project_wait);
}

async function take(sql: Sql, routeClass: RouteClass, userId: string, projectId: string | null): Promise<number> {
  const [row] = await sql<{ wait: number }[]>`select vidsync_api.take_rate_token(${routeClass}, ${userId}, ${projectId}) as wait`;
  return row!.wait;
}

function refuseIfWaiting(routeClass: RouteClass, scope: 'user' | 'project', wait: number): void {
  if (wait > 0) {
    throw new VidsyncError('rate_limited', `too many ${routeClass.replace('_', ' ')} requests; retry in ${wait} s`, {
      details: { retryAfterSeconds: wait, routeClass, scope },
    });
  }
}

/** Raises VS011 (`quota_exceeded`) when registering the device would exceed the project's or the caller's device quota. Runs as the caller; built, not sent (store/devices.ts registration). */
export function deviceQuotaCheck(tx: Tx, projectId: string, deviceId: string): PendingQuery<Row[]> {
  return tx`select vidsync_api.check_device_quota(${projectId}, ${deviceId})`;
}
