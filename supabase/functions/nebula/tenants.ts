// Fairness between tenants inside one function instance. The token buckets
// in Postgres (store/quotas.ts) bound what a user may do over time; this
// bounds what one user's burst costs everyone else right now:
//   * at most `maxInFlight` requests of one user run at a time (the pool's
//     size minus one, so that one connection is always left for others);
//     the rest wait their turn here, in memory, not in the connection pool's
//     queue in front of other tenants' requests;
//   * once a user's bucket answered "wait n seconds", their further requests
//     of that class get 429 from memory until then, without a token query;
//     the audit row each refusal leaves is written in the user's turn too
//     (`gated`), so a client that ignores Retry-After holds at most
//     `maxInFlight` connections.
// tests/function-parts/tenants.test.ts; scripts/bench/tenants.ts measures the effect.
import type { Sql } from 'postgres';
import type { Caller } from '../_shared/auth/index.ts';
import { VidsyncError } from '../_shared/errors.ts';
import type { RouteClass } from './store/quotas.ts';
import { takeDeviceRateToken, takeRateToken } from './store/quotas.ts';

/** Refusals remembered at most; beyond that, expired ones are dropped first. */
const MAX_REMEMBERED = 10_000;

export class TenantLimiter {
  readonly #sql: Sql;
  readonly #maxInFlight: number;
  readonly #now: () => number;
  readonly #running = new Map<string, number>();
  readonly #queued = new Map<string, Array<() => void>>();
  /** `${user} ${class}` → when the bucket has a token again (ms). */
  readonly #refusedUntil = new Map<string, number>();

  constructor(sql: Sql, options: { maxInFlight: number; now?: () => number }) {
    this.#sql = sql;
    this.#maxInFlight = Math.max(1, options.maxInFlight);
    this.#now = options.now ?? Date.now;
  }

  /**
   * Runs `handle` for the caller once it is their turn and their bucket of
   * `routeClass` had a token. With `routeTakesTokens` the route takes the
   * token itself, with its project's in one statement (store/quotas.ts
   * takeRateTokens), once it has read the project from the body; a refusal
   * of the user's bucket is remembered all the same.
   */
  async admit<T>(caller: Caller, routeClass: RouteClass, handle: () => Promise<T>, options: { routeTakesTokens?: boolean } = {}): Promise<T> {
    const deviceId = deviceIdOf(caller);
    const user = tenantOf(caller);
    if (user === undefined) return handle();
    const key = `${user} ${routeClass}`;
    this.#refuseIfRemembered(key);
    await this.#enter(user);
    try {
      this.#refuseIfRemembered(key); // the wait may have been long; a refusal may have come meanwhile
      try {
        if (options.routeTakesTokens) return await handle();
        if (deviceId) await takeDeviceRateToken(this.#sql, deviceId, routeClass);
        else await takeRateToken(this.#sql, caller, routeClass);
      } catch (error) {
        // The user's (or device's) own bucket: a project's refusal says nothing about their other projects.
        const refusal = error instanceof VidsyncError && error.code === 'rate_limited' ? error.details : undefined;
        if (typeof refusal?.retryAfterSeconds === 'number' && refusal.scope !== 'project') this.#remember(key, this.#now() + refusal.retryAfterSeconds * 1000);
        throw error;
      }
      return await handle();
    } finally {
      this.#leave(user);
    }
  }

  /**
   * Runs `work` of the caller's (a refusal's audit row, say) in their turn,
   * like their requests, and one at a time: a flood of one user's refused
   * requests then holds one connection.
   */
  async gated<T>(caller: Caller | undefined, work: () => Promise<T>): Promise<T> {
    const user = caller && tenantOf(caller);
    if (user === undefined) return work();
    // One such write of a user's (or device's) at a time (a lane of its own), and within their share like their requests.
    const lane = `${user} gated`;
    await this.#enter(lane, 1);
    await this.#enter(user);
    try {
      return await work();
    } finally {
      this.#leave(user);
      this.#leave(lane);
    }
  }

  #refuseIfRemembered(key: string): void {
    const until = this.#refusedUntil.get(key);
    if (until === undefined) return;
    const left = until - this.#now();
    if (left <= 0) {
      this.#refusedUntil.delete(key);
      return;
    }
    const seconds = Math.max(1, Math.ceil(left / 1000));
    throw new VidsyncError('rate_limited', `too many requests; retry in ${seconds} s`, { details: { retryAfterSeconds: seconds } });
  }

  #remember(key: string, until: number): void {
    if (this.#refusedUntil.size >= MAX_REMEMBERED) {
      const now = this.#now();
      for (const [k, t] of this.#refusedUntil) if (t <= now) this.#refusedUntil.delete(k);
      if (this.#refusedUntil.size >= MAX_REMEMBERED) this.#refusedUntil.delete(this.#refusedUntil.keys().next().value!);
    }
    this.#refusedUntil.set(key, until);
  }

  async #enter(user: string, limit: number = this.#maxInFlight): Promise<void> {
    const running = this.#running.get(user) ?? 0;
    if (running < limit) {
      this.#running.set(user, running + 1);
      return;
    }
    await new Promise<void>((resolve) => {
      const queue = this.#queued.get(user) ?? [];
      queue.push(resolve);
      this.#queued.set(user, queue);
    });
    // #leave handed its slot over: the count stays as it was.
  }

  #leave(user: string): void {
    const queue = this.#queued.get(user);
    const next = queue?.shift();
    if (next) {
      if (queue!.length === 0) this.#queued.delete(user);
      next();
      return;
    }
    const running = (this.#running.get(user) ?? 1) - 1;
    if (running <= 0) this.#running.delete(user);
    else this.#running.set(user, running);
  }

  /** For tests: requests of `user` running now, and waiting. */
  load(user: string): { running: number; queued: number } {
    return { running: this.#running.get(user) ?? 0, queued: this.#queued.get(user)?.length ?? 0 };
  }
}

/** The id of the device that signed the request (device-auth.ts), if one did. */
function deviceIdOf(caller: Caller): string | undefined {
  const id = caller.claims.vidsync_device_id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * Whose turn and buckets a request counts against: the signed-in user's, or
 * the device's when a device signed it (the service role, but limited like a
 * user: per device); undefined for anyone else (not limited here).
 */
function tenantOf(caller: Caller): string | undefined {
  const deviceId = deviceIdOf(caller);
  if (deviceId) return `device ${deviceId}`;
  return caller.role === 'authenticated' && caller.userId ? caller.userId : undefined;
}
