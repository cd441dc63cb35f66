// POST /nebula/projects — the caller becomes the owner; the subnet comes from
// the supernet unless given; the project's CA is created in the same
// transaction, so a project never exists without one.
import { CreateProjectBody, jsonResponse, readJsonBody } from '../../_shared/http/index.ts';
import type { RequestContext } from '../context.ts';
import { asServiceRole, caLimits, createProject as insertProject, inTransaction, insertSigningCa } from '../store/index.ts';
import { requireUser } from './guards.ts';

export async function createProject(ctx: RequestContext): Promise<Response> {
  const userId = requireUser(ctx.caller, 'create a project');
  const body = await readJsonBody(ctx.request, CreateProjectBody);
  const { project, ca } = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    const project = await insertProject(tx, body.name, body.subnet ?? null);
    return asServiceRole(tx, async (tx) => {
      const ca = await ctx.cas.generate(project, await caLimits(tx));
      await insertSigningCa(tx, project.id, ca, 'generated', userId);
      await ctx.audit.record(tx, { projectId: project.id }, 201);
      return { project, ca };
    });
  });
  return jsonResponse(
    {
      projectId: project.id,
      name: project.name,
      subnet: project.subnet,
      ownerId: project.ownerId,
      ca: { fingerprint: ca.fingerprint, notAfter: ca.notAfter.toISOString(), certificate: ca.certificatePem },
    },
    201,
  );
}
