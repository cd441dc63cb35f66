// POST /nebula/projects — the caller becomes the owner; the subnet comes from
// the supernet unless given; the project's CA is created in the same
// transaction, so a project never exists without one.
import { readJsonBody, jsonResponse, CreateProjectBody } from '../../_shared/http/index.ts';
import type { RequestContext } from '../app.ts';
import { actAs, inTransaction } from '../db.ts';
import { requireUser } from './guards.ts';

export async function createProject(ctx: RequestContext): Promise<Response> {
  const userId = requireUser(ctx.caller, 'create a project');
  const body = await readJsonBody(ctx.request, CreateProjectBody);
  const created = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    const [project] = await tx<{ id: string; name: string; subnet: string; owner_id: string }[]>`
      select id, name, subnet::text as subnet, owner_id
        from public.create_project(${body.name}, ${body.subnet ?? null}::cidr)`;
    await actAs(tx, 'service_role');
    const ca = await ctx.cas.create(tx, project!, userId);
    return { project: project!, ca };
  });
  return jsonResponse(
    {
      projectId: created.project.id,
      name: created.project.name,
      subnet: created.project.subnet,
      ownerId: created.project.owner_id,
      ca: { fingerprint: created.ca.fingerprint, notAfter: created.ca.notAfter.toISOString(), certificate: created.ca.certificatePem },
    },
    201,
  );
}
