// GET /nebula/ca/:projectId — the CA certificates a project's devices trust.
// POST /nebula/ca/:projectId/import — an owner/admin brings an existing CA.
import { VidsyncError } from '../../_shared/errors.ts';
import { ImportCaBody, jsonResponse, ProjectParams, readJsonBody, validate } from '../../_shared/http/index.ts';
import type { RequestContext } from '../app.ts';
import { actAs, inTransaction } from '../db.ts';
import type { Tx } from '../db.ts';
import { requireSignedIn, requireUser } from './guards.ts';

export async function getProjectCa(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const projectId = validate(ProjectParams, ctx.params).projectId;
  const cas = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    await visibleProject(tx, projectId);
    await actAs(tx, 'service_role');
    return ctx.cas.trusted(tx, projectId);
  });
  const pem = cas.map((ca) => ca.certificatePem.trimEnd() + '\n').join('');
  if (wantsPem(ctx.request)) {
    return new Response(pem, { status: 200, headers: { 'content-type': 'application/x-pem-file' } });
  }
  return jsonResponse({
    projectId,
    certificates: cas.map((ca) => ({ fingerprint: ca.fingerprint, notBefore: ca.notBefore.toISOString(), notAfter: ca.notAfter.toISOString(), certificate: ca.certificatePem })),
    pem,
  });
}

export async function importProjectCa(ctx: RequestContext): Promise<Response> {
  const userId = requireUser(ctx.caller, 'import a CA');
  const projectId = validate(ProjectParams, ctx.params).projectId;
  const body = await readJsonBody(ctx.request, ImportCaBody);
  const ca = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    const project = await visibleProject(tx, projectId);
    const [admin] = await tx<{ ok: boolean }[]>`select vidsync.is_project_member(${projectId}, array['owner', 'admin']) as ok`;
    if (!admin?.ok) throw new VidsyncError('forbidden', 'only an owner or admin of the project can import a CA');
    await actAs(tx, 'service_role');
    return ctx.cas.import(tx, project, body.caCertificate, body.caKey, userId);
  });
  return jsonResponse({ projectId, fingerprint: ca.fingerprint, notAfter: ca.notAfter.toISOString(), certificate: ca.certificatePem }, 201);
}

/** Found only if RLS lets the caller see it: non-members get 404, not a hint that it exists. */
export async function visibleProject(tx: Tx, projectId: string): Promise<{ id: string; name: string; subnet: string }> {
  const [project] = await tx<{ id: string; name: string; subnet: string }[]>`
    select id, name, subnet::text as subnet from vidsync.projects where id = ${projectId}`;
  if (!project) throw new VidsyncError('not_found', `no project ${projectId}`);
  return project;
}

function wantsPem(request: Request): boolean {
  const accept = request.headers.get('accept') ?? '';
  return accept.includes('application/x-pem-file') || accept.startsWith('text/plain');
}
