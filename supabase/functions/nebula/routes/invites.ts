// Invites (enrollment codes):
//   POST   /projects/:projectId/invites {role, maxUses, expiresInSeconds}  owner/admin → 201, the code shown once
//          ({kind: 'device', maxUses, expiresInSeconds}: a device-enrollment invite, redeemed at POST /enroll)
//   GET    /projects/:projectId/invites             owner/admin, never a code
//   DELETE /projects/:projectId/invites/:inviteId   owner/admin, revokes it
//   POST   /join {code}                             a signed-in user becomes a member with the invite's role
// The code is 125 random bits in base32 (five groups of five letters and
// digits 2-7); the database keeps only its SHA-256 hash. Redemption is
// atomic in SQL (vidsync_api.redeem_invite locks the invite's row). Every
// POST /join draws from the caller's `join` token bucket (store/quotas.ts),
// so guessing codes is slow, and every answer it gives takes the same time
// (JOIN_ANSWER_FLOOR_MS), so its timing tells nothing the code does not.
import { jsonResponse, ProjectParams, readJsonBody, validate } from '../../_shared/http/index.ts';
import { INVITE_CODE_ALPHABET, INVITE_CODE_CHARS, InviteParams, JoinBody, canonicalInviteCode } from '../../_shared/http/people-schemas.ts';
import { AnyInviteBody } from '../../_shared/http/enroll-schemas.ts';
import type { RequestContext } from '../context.ts';
import { createInvite as insertInvite, endWith, inTransaction, listInvites, redeemInvite, revokeInvite as markRevoked } from '../store/index.ts';
import { createDeviceInvite } from '../store/invites.ts';
import { requireSignedIn, requireUser } from './guards.ts';
import { inAuditedTransaction, projectList } from './scope.ts';

/** A fresh code: each character 5 uniform random bits (a byte masked to 5 bits: 256 is a multiple of 32). */
export function generateInviteCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(INVITE_CODE_CHARS));
  return canonicalInviteCode(Array.from(bytes, (b) => INVITE_CODE_ALPHABET[b & 31]).join(''))!;
}

/** What the database stores and looks up: SHA-256 of the canonical code. */
export async function inviteCodeHash(canonicalCode: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonicalCode)));
}

export async function createInvite(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const { projectId } = validate(ProjectParams, ctx.params);
  const body = await readJsonBody(ctx.request, AnyInviteBody);
  const code = generateInviteCode();
  const hash = await inviteCodeHash(code);
  const created = await inAuditedTransaction(
    ctx,
    { projectId },
    (tx) => (body.kind === 'device' ? createDeviceInvite(tx, projectId, hash, body) : insertInvite(tx, projectId, hash, body)),
    201,
  );
  const what = body.kind === 'device' ? { kind: 'device', role: null } : { kind: 'member', role: body.role };
  return jsonResponse({ inviteId: created.inviteId, code, ...what, maxUses: body.maxUses, expiresAt: created.expiresAt.toISOString() }, 201);
}

export const projectInvites = (ctx: RequestContext): Promise<Response> => projectList(ctx, 'invites', listInvites);

export async function revokeInvite(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const { projectId, inviteId } = validate(InviteParams, ctx.params);
  await inAuditedTransaction(ctx, { projectId }, (tx) => markRevoked(tx, projectId, inviteId));
  return jsonResponse({ inviteId, revoked: true });
}

/**
 * Every answer of POST /join — joined, expired, revoked, used up, unknown —
 * is sent no sooner than this after the request arrived. The work differs a
 * little (an unknown code locks no row, a success inserts one); padding all
 * of them to one floor well above that work (a few milliseconds, tens under
 * load) leaves nothing to measure. The wait holds no database connection.
 */
export const JOIN_ANSWER_FLOOR_MS = 250;

export async function joinProject(ctx: RequestContext): Promise<Response> {
  const started = performance.now();
  try {
    requireUser(ctx.caller, 'join a project');
    const { code } = await readJsonBody(ctx.request, JoinBody);
    const hash = await inviteCodeHash(code);
    const joined = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
      const joined = await redeemInvite(tx, hash);
      endWith(tx, ctx.audit.record(tx, { projectId: joined.projectId }, joined.joined ? 201 : 200));
      return joined;
    });
    return jsonResponse(joined, joined.joined ? 201 : 200);
  } finally {
    await waitUntil(started + JOIN_ANSWER_FLOOR_MS);
  }
}

/** Resolves at `deadline` (a performance.now() time), at once when it has passed. */
export function waitUntil(deadline: number): Promise<void> {
  const left = deadline - performance.now();
  return left > 0 ? new Promise((resolve) => setTimeout(resolve, left)) : Promise.resolve();
}

