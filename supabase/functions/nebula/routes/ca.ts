// GET /nebula/ca/:projectId — the CA certificates a project's devices trust.
// POST /nebula/ca/:projectId/import — an owner/admin brings an existing CA
// (who may is decided in SQL: vidsync.authorize_ca_import).
import { ImportCaBody, jsonResponse, ProjectParams, readJsonBody, validate } from '../../_shared/http/index.ts';
import type { RequestContext } from '../context.ts';
import { asServiceRole, authorizeCaImport, caLimits, inTransaction, insertSigningCa, trustedCas, visibleProject } from '../store/index.ts';
import { requireSignedIn, requireUser } from './guards.ts';

export async function getProjectCa(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const projectId = validate(ProjectParams, ctx.params).projectId;
  const cas = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    await visibleProject(tx, projectId);
    return asServiceRole(tx, (tx) => trustedCas(tx, projectId));
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
    // Authorization first: a caller who may not import learns nothing about their upload.
    await authorizeCaImport(tx, projectId);
    const project = await visibleProject(tx, projectId);
    // The rest as service_role: the settings row and the CA table are no user's to read or write.
    return asServiceRole(tx, async (tx) => {
      const ca = await ctx.cas.readImport(project, body.caCertificate, body.caKey, await caLimits(tx));
      // The database refuses a CA past the project's limit of trusted CAs (too_many_cas).
      await insertSigningCa(tx, project.id, ca, 'imported', userId);
      await ctx.audit.record(tx, {}, 201);
      return ca;
    });
  });
  return jsonResponse({ projectId, fingerprint: ca.fingerprint, notAfter: ca.notAfter.toISOString(), certificate: ca.certificatePem }, 201);
}

function wantsPem(request: Request): boolean {
  const accept = request.headers.get('accept') ?? '';
  return accept.includes('application/x-pem-file') || accept.startsWith('text/plain');
}
