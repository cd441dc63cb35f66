// Members of a project:
//   GET    /projects/:projectId/members           any member
//   PATCH  /projects/:projectId/members/:userId   {role} owner/admin; only an owner makes or unmakes an owner
//   DELETE /projects/:projectId/members/:userId   owner/admin, or a member removing themself
// Owner transfer is two role changes: the owner makes the other member an
// owner, then demotes themself (or leaves); the project keeps an owner at
// every step, and its ownerId follows (migration 20251130120000).
// Removal revokes every device of the member in the project in the same
// transaction (their certificates onto the blocklist, their addresses
// released); the project's last owner stays (409 last_owner). The SQL
// decides (vidsync_api.list_members / remove_member).
import { jsonResponse, readJsonBody, validate } from '../../_shared/http/index.ts';
import { MemberParams } from '../../_shared/http/people-schemas.ts';
import { SetMemberRoleBody } from '../../_shared/http/role-schemas.ts';
import type { RequestContext } from '../context.ts';
import { listMembers, removeMember as remove } from '../store/index.ts';
import { setMemberRole as changeRole } from '../store/members.ts';
import { requireSignedIn } from './guards.ts';
import { inAuditedTransaction, projectList } from './scope.ts';

export const projectMembers = (ctx: RequestContext): Promise<Response> => projectList(ctx, 'members', listMembers);

export async function removeMember(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const { projectId, userId } = validate(MemberParams, ctx.params);
  const revokedDevices = await inAuditedTransaction(ctx, { projectId }, (tx) => remove(tx, projectId, userId));
  return jsonResponse({ projectId, userId, revokedDevices });
}

export async function setMemberRole(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const { projectId, userId } = validate(MemberParams, ctx.params);
  const { role } = await readJsonBody(ctx.request, SetMemberRoleBody);
  const change = await inAuditedTransaction(ctx, { projectId }, (tx) => changeRole(tx, projectId, userId, role));
  return jsonResponse({ projectId, userId, role: change.role, previousRole: change.previousRole });
}
