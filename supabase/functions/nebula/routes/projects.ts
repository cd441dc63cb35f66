// POST /nebula/projects — the caller becomes the owner; the subnet comes from
// the supernet unless given; the project's CA is created in the same
// transaction, so a project never exists without one.
// DELETE /nebula/projects/:projectId {confirm: <its name>} — an owner deletes
// it: devices, pool, certificates, invites, members and the CA's sealed key
// go in one transaction; the audit log, a tombstone and the CA certificate
// stay; the subnet stays held for the project's users until its last
// certificate expires (migration 20251130120000).
import { CreateProjectBody, jsonResponse, ProjectParams, readJsonBody, validate } from '../../_shared/http/index.ts';
import { DeleteProjectBody } from '../../_shared/http/role-schemas.ts';
import type { RequestContext } from '../context.ts';
import { asServiceRole, caLimits, createProject as insertProject, endWith, inTransaction, insertSigningCa } from '../store/index.ts';
import { deleteProject as erase } from '../store/projects.ts';
import { requireUser } from './guards.ts';
import { inAuditedTransaction } from './scope.ts';

export async function createProject(ctx: RequestContext): Promise<Response> {
  const userId = requireUser(ctx.caller, 'create a project');
  const body = await readJsonBody(ctx.request, CreateProjectBody);
  const { project, ca } = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    const project = await insertProject(tx, body.name, body.subnet ?? null);
    return asServiceRole(tx, async (tx) => {
      const ca = await ctx.cas.generate(project, await caLimits(tx));
      // The transaction's last writes: COMMIT goes out right behind them.
      endWith(tx, insertSigningCa(tx, project.id, ca, 'generated', userId), ctx.audit.record(tx, { projectId: project.id }, 201));
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

export async function deleteProject(ctx: RequestContext): Promise<Response> {
  requireUser(ctx.caller, 'delete a project');
  const { projectId } = validate(ProjectParams, ctx.params);
  const { confirm } = await readJsonBody(ctx.request, DeleteProjectBody);
  const deleted = await inAuditedTransaction(ctx, { projectId }, (tx) => erase(tx, projectId, confirm));
  return jsonResponse({
    projectId,
    deleted: true,
    revokedDevices: deleted.revokedDevices,
    revokedCertificates: deleted.revokedCertificates,
    revokedInvites: deleted.revokedInvites,
    subnet: deleted.subnet,
    subnetHeldUntil: deleted.subnetHeldUntil.toISOString(),
  });
}
