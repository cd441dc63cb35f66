// Request shapes of the role and project-deletion routes, checked at the
// edge like ./people-schemas.ts. The SQL holds the same rules
// (vidsync_api.set_member_role raises VS005 for another role;
// vidsync_api.delete_project VS055 for another name).
import { z } from 'zod';

/** PATCH /projects/:projectId/members/:userId */
export const SetMemberRoleBody = z.strictObject({
  role: z.enum(['owner', 'admin', 'member']),
});
export type SetMemberRoleBody = z.output<typeof SetMemberRoleBody>;

/** DELETE /projects/:projectId — the project's name, typed again, as in "type the name to delete". */
export const DeleteProjectBody = z.strictObject({
  // A project name is at most 100 characters; a longer confirmation can only be wrong, and is refused as such by the SQL.
  confirm: z.string().max(400),
});
export type DeleteProjectBody = z.output<typeof DeleteProjectBody>;
