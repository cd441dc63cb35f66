// GET /nebula/audit/:projectId?before=<id>&limit=<1-500>&action=<a>&deviceId=<d>
// — a project's audit log, newest first, for its owners and admins (decided
// in SQL: public.project_audit_log), optionally only one action's rows and/or
// one device's (filtered before the page is cut, so pages stay full).
// `nextBefore` is the cursor of the next page, null on the last one.
import { VidsyncError } from '../../_shared/errors.ts';
import { jsonResponse, ProjectParams, Uuid, validate } from '../../_shared/http/index.ts';
import type { RequestContext } from '../context.ts';
import { inTransaction, projectAuditLog } from '../store/index.ts';
import { requireSignedIn } from './guards.ts';

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 500;

export async function projectAudit(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const projectId = validate(ProjectParams, ctx.params).projectId;
  const before = cursorOf(ctx.url.searchParams.get('before'));
  const limit = limitOf(ctx.url.searchParams.get('limit'));
  const filter = { action: actionOf(ctx.url.searchParams.get('action')), deviceId: deviceOf(ctx.url.searchParams.get('deviceId')) };
  const entries = await inTransaction(ctx.sql, ctx.caller, (tx) => projectAuditLog(tx, projectId, before, limit, filter));
  return jsonResponse({
    projectId,
    entries: entries.map((e) => ({
      id: e.id,
      at: e.at.toISOString(),
      action: e.action,
      result: e.result,
      httpStatus: e.httpStatus,
      actor: { kind: e.actorKind, id: e.actorId },
      deviceId: e.deviceId,
      sourceIp: e.sourceIp,
      requestId: e.requestId,
    })),
    nextBefore: entries.length === limit ? entries[entries.length - 1]!.id : null,
  });
}

function cursorOf(text: string | null): string | null {
  if (text === null || text === '') return null;
  // A positive bigint: at most 19 digits, and below 2^63.
  if (!/^[1-9][0-9]{0,18}$/.test(text) || BigInt(text) > 9223372036854775807n) {
    throw new VidsyncError('validation_failed', '`before` must be the id of an audit entry (a positive integer)');
  }
  return text;
}

function limitOf(text: string | null): number {
  if (text === null || text === '') return AUDIT_PAGE_DEFAULT;
  const limit = Number(text);
  if (!/^[0-9]{1,3}$/.test(text) || limit < 1 || limit > AUDIT_PAGE_MAX) {
    throw new VidsyncError('validation_failed', `\`limit\` must be an integer from 1 to ${AUDIT_PAGE_MAX}`);
  }
  return limit;
}

/** An action as app.ts names them ("device.revoke"): lower-case words joined by dots, at most 64 characters. */
function actionOf(text: string | null): string | null {
  if (text === null || text === '') return null;
  if (text.length > 64 || !/^[a-z][a-z_]*(\.[a-z][a-z_]*)*$/.test(text)) {
    throw new VidsyncError('validation_failed', '`action` must be an action name such as device.revoke');
  }
  return text;
}

function deviceOf(text: string | null): string | null {
  if (text === null || text === '') return null;
  const parsed = Uuid.safeParse(text);
  if (!parsed.success) throw new VidsyncError('validation_failed', '`deviceId` must be a UUID');
  return parsed.data;
}
