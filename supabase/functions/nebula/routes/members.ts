// Members of a project:
//   GET    /projects/:projectId/members           any member
//   DELETE /projects/:projectId/members/:userId   owner/admin, or a member removing themself
// Removal revokes every device of the member in the project in the same
// transaction (their certificates onto the blocklist, their addresses
// released); the project's last owner stays (409 last_owner). The SQL
// decides (vidsync_api.list_members / remove_member).
import { jsonResponse, ProjectParams, validate } from '../../_shared/http/index.ts';
import { MemberParams } from '../../_shared/http/people-schemas.ts';
import type { RequestContext } from '../context.ts';
import { inTransaction, listMembers, removeMember as remove } from '../store/index.ts';
import { requireSignedIn } from './guards.ts';

export async function projectMembers(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const { projectId } = validate(ProjectParams, ctx.params);
  const members = await inTransaction(ctx.sql, ctx.caller, (tx) => listMembers(tx, projectId));
  return jsonResponse({ members });
}

export async function removeMember(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const { projectId, userId } = validate(MemberParams, ctx.params);
  const revokedDevices = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    const revoked = await remove(tx, projectId, userId);
    await ctx.audit.record(tx, { projectId });
    return revoked;
  });
  return jsonResponse({ projectId, userId, revokedDevices });
}
