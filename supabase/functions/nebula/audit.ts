// A request's audit trail: what app.ts knows (the action of the route, the
// caller, the source address, the request id) plus what the route learns
// (the project and device it acts on). One row per mutating request:
//  - on success, the route calls `ctx.audit.record(tx, { projectId, deviceId })`
//    inside its transaction, as its last step, so the row commits with the
//    action or not at all (a route that forgets gets its row written by
//    app.ts right after, on its own);
//  - on a refusal (authorization, anonymous users, rate limits), app.ts writes
//    the row in a statement of its own, since the request's transaction rolls back;
//    only for a verified caller (not for no caller, nor the anon key), and a
//    404/401 refusal's row names no project or device.
// A new mutating route needs an `audit` action in app.ts's table and that one call.
import type { Sql } from 'postgres';
import type { Caller } from '../_shared/auth/index.ts';
import { readCapped } from '../_shared/http/body.ts';
import { parseAddress } from '../_shared/net/index.ts';
import { appendAudit } from './store/audit.ts';
import type { AuditActorKind } from './store/audit.ts';
import { asServiceRole } from './store/index.ts';
import type { Tx } from './store/index.ts';

export interface AuditFacts {
  readonly projectId?: string | null;
  readonly deviceId?: string | null;
}

/**
 * Error codes that mean "refused": who the caller is or what they may do,
 * or how often they may do it. Strings, so codes other routes add later
 * (rate limits, device credentials) need no import here.
 */
const REFUSALS: ReadonlySet<string> = new Set([
  'unauthorized',
  'forbidden',
  'not_found', // a caller who may not see a project or device is told it does not exist
  'anonymous_not_allowed',
  'rate_limited',
  'quota_exceeded',
  'signature_invalid',
  'signature_expired',
  'signature_replayed',
  'device_mismatch',
  'credential_revoked',
  'device_revoked',
  // Every refused code writes its row, as a join does: the log shows who guesses,
  // and each outcome of POST /join does the same work, so none answers sooner.
  'invite_unknown',
  'invite_expired',
  'invite_revoked',
  'invite_used_up',
]);

/** Refusals whose row names no project or device: the caller may not see them. */
const HIDDEN: ReadonlySet<string> = new Set(['not_found', 'unauthorized']);

export function isRefusal(code: string): boolean {
  return REFUSALS.has(code);
}

/** A request body larger than this is not read again for a refusal's row. */
const MAX_PEEK_BYTES = 64 * 1024;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class AuditTrail {
  readonly action: string | undefined;
  readonly requestId: string;
  readonly sourceIp: string | null;
  #caller: Caller | undefined;
  #facts: { projectId: string | null; deviceId: string | null } = { projectId: null, deviceId: null };
  #recorded = false;

  constructor(action: string | undefined, request: { requestId: string; sourceIp: string | null; params: Readonly<Record<string, string>> }) {
    this.action = action;
    this.requestId = request.requestId;
    this.sourceIp = request.sourceIp;
    this.about({ projectId: request.params.projectId, deviceId: request.params.deviceId });
  }

  /** The verified caller (unset: the request was refused before it had one). */
  set caller(caller: Caller) {
    this.#caller = caller;
  }

  /** What the request acts on, as soon as the route knows: a later refusal's row names it too. Ids that are no UUID are not kept. */
  about(facts: AuditFacts): void {
    const pick = (id: string | null | undefined, current: string | null) => (typeof id === 'string' && UUID.test(id) ? id.toLowerCase() : current);
    this.#facts = { projectId: pick(facts.projectId, this.#facts.projectId), deviceId: pick(facts.deviceId, this.#facts.deviceId) };
  }

  /**
   * For a refusal before the route read the body (anonymous users, rate
   * limits): the project and device the JSON body names, if any. The body is
   * read from a copy, at most MAX_PEEK_BYTES of it.
   */
  async aboutBody(request: Request): Promise<void> {
    if (request.bodyUsed || !request.body || !(request.headers.get('content-type') ?? '').includes('json')) return;
    // Only a body that says how long it is, and is short: a chunked or large one is not read for a row.
    const declared = (request.headers.get('content-length') ?? '').trim();
    if (!/^\d+$/.test(declared) || Number(declared) > MAX_PEEK_BYTES) return;
    try {
      const text = new TextDecoder().decode(await readCapped(request.clone(), MAX_PEEK_BYTES));
      const body = JSON.parse(text) as { projectId?: unknown; deviceId?: unknown };
      this.about({ projectId: typeof body.projectId === 'string' ? body.projectId : null, deviceId: typeof body.deviceId === 'string' ? body.deviceId : null });
    } catch {
      // not JSON: nothing to learn
    }
  }

  get recorded(): boolean {
    return this.#recorded;
  }

  /**
   * The success row, in the request's transaction: call it as the
   * transaction's last step (it switches to the service role, the only role
   * that may write the log, until the transaction ends).
   */
  async record(tx: Tx, facts: AuditFacts = {}, httpStatus = 200): Promise<void> {
    if (!this.action || this.#recorded) return;
    this.about(facts);
    const row = this.#row('ok', httpStatus);
    await asServiceRole(tx, (tx) => appendAudit(tx, row));
    this.#recorded = true;
  }

  /** A row on its own (a refusal, or a success the route did not record): one statement, committed by itself. */
  async recordAlone(sql: Sql, result: string, httpStatus: number): Promise<void> {
    if (!this.action) return;
    await appendAudit(sql as unknown as Tx, this.#row(result, httpStatus));
    this.#recorded = true;
  }

  #row(result: string, httpStatus: number) {
    const caller = this.#caller;
    // Without a verified caller the ids come from whoever sent the request:
    // they would let anyone write rows into any project's log.
    // A caller refused with 404/401 may not see what they named: a row naming it would show the
    // victim's owners the stranger's id and address, and let strangers write into any project's log.
    const facts = caller && !HIDDEN.has(result) ? this.#facts : { projectId: null, deviceId: null };
    const { actorKind, actorId } = actorOf(caller);
    return {
      action: this.action!,
      result,
      httpStatus,
      actorKind,
      actorId,
      projectId: facts.projectId,
      deviceId: facts.deviceId,
      sourceIp: this.sourceIp,
      requestId: this.requestId,
    };
  }
}

function actorOf(caller: Caller | undefined): { actorKind: AuditActorKind; actorId: string | null } {
  if (!caller) return { actorKind: 'anonymous', actorId: null };
  // A device-signed request acts as the service role (device-auth.ts), so its claim is read first.
  const deviceId = caller.claims.vidsync_device_id;
  if (typeof deviceId === 'string' && deviceId !== '') return { actorKind: 'device', actorId: deviceId };
  if (caller.role === 'service_role') return { actorKind: 'service', actorId: null };
  if (caller.role === 'authenticated' && caller.userId) return { actorKind: 'user', actorId: caller.userId };
  return { actorKind: 'anonymous', actorId: null };
}

/**
 * The client's address from the one header the platform sets and a client
 * cannot: on hosted Supabase, Cloudflare's `cf-connecting-ip` (it overwrites
 * whatever the client sent). Not `x-forwarded-for`: a client can put any
 * address first in it, and proxies only append. Anything that is not an IP
 * address is dropped.
 */
export function sourceIpOf(headers: Headers, headerName: string): string | null {
  const value = headers.get(headerName)?.trim();
  if (!value || value.length > 64) return null;
  return parseAddress(value) ? value : null;
}
