// A project's certificate authorities:
//   GET    /nebula/ca/:projectId               the CAs its devices trust (PEM), the signing one first
//   POST   /nebula/ca/:projectId/import        an owner/admin brings an existing CA; it signs from now on
//   POST   /nebula/ca/:projectId/rotate        an owner/admin has a new CA made; it signs from now on
//   DELETE /nebula/ca/:projectId/:fingerprint  an owner/admin takes an earlier CA out of the trust set
//   GET    /nebula/config/:deviceId/ca         the same PEM as GET /ca, device-scoped: what an agent (signed
//                                              with its device key, no user session) writes to ca.crt
// Who may is decided in SQL (vidsync.authorize_ca_import, vidsync_api.retire_ca);
// which CAs are trusted too (vidsync.trusted_cas): after a rotation, earlier CAs
// stay trusted while a device's current certificate needs them, until the
// owner's date; after an import, until they expire or are retired.
import { ImportCaBody, jsonResponse, ProjectParams, readJsonBody, validate } from '../../_shared/http/index.ts';
import { taggedResponse } from '../../_shared/http/etag.ts';
import { CaParams, RotateCaBody } from '../../_shared/http/ca-schemas.ts';
import type { SealedCa } from '../ca.ts';
import type { RequestContext } from '../context.ts';
import { asServiceRole, authorizeCaImport, caLimits, endWith, inTransaction, insertSigningCa, trustedCas, visibleProject } from '../store/index.ts';
import type { Tx } from '../store/index.ts';
import { retireCa as markRetired, supersedeEarlierCas } from '../store/cas.ts';
import type { TrustedCa } from '../store/cas.ts';
import { requireNotRevoked, requireSignedIn, requireUser } from './guards.ts';
import { inAuditedTransaction, inDeviceScope } from './scope.ts';

export async function getProjectCa(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const projectId = validate(ProjectParams, ctx.params).projectId;
  const cas = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    await visibleProject(tx, projectId);
    return asServiceRole(tx, (tx) => trustedCas(tx, projectId));
  });
  const pem = pemOf(cas);
  if (wantsPem(ctx.request)) {
    return new Response(pem, { status: 200, headers: { 'content-type': 'application/x-pem-file' } });
  }
  return jsonResponse({ projectId, signing: cas.find((ca) => ca.signing)?.fingerprint ?? null, certificates: cas.map(caJson), pem });
}

/** GET /config/:deviceId/ca — the trusted CAs' PEM for the device's project; ETag / 304 like the config. */
export async function deviceCaBundle(ctx: RequestContext): Promise<Response> {
  const cas = await inDeviceScope(ctx, async (tx, device) => {
    requireNotRevoked(device);
    return asServiceRole(tx, (tx) => trustedCas(tx, device.projectId));
  });
  return taggedResponse(ctx.request, pemOf(cas), 'application/x-pem-file');
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
      endWith(tx, insertSigningCa(tx, project.id, ca, 'imported', userId), ctx.audit.record(tx, {}, 201));
      return ca;
    });
  });
  return jsonResponse({ projectId, fingerprint: ca.fingerprint, notAfter: ca.notAfter.toISOString(), certificate: ca.certificatePem }, 201);
}

/**
 * POST /ca/:projectId/rotate — a new CA, made like a new project's (limited to its subnet, sealed), becomes the
 * signing one. Registrations, renewals and pinned addresses are signed by it from this commit on; agents learn of
 * it from their config poll (nebula.yml names the trusted CAs) and renew onto it.
 */
export async function rotateProjectCa(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const userId = ctx.caller.role === 'authenticated' ? ctx.caller.userId || null : null;
  const projectId = validate(ProjectParams, ctx.params).projectId;
  const body = await readOptionalJsonBody(ctx.request);
  const { ca, trusted } = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    await authorizeCaImport(tx, projectId);
    const project = await visibleProject(tx, projectId);
    return asServiceRole(tx, async (tx) => {
      const ca = await ctx.cas.generate(project, await caLimits(tx));
      await supersedeEarlierCas(tx, project.id, body.retireOldAt ?? null);
      // The database refuses a CA past the project's limit of trusted CAs (too_many_cas).
      await insertSigningCa(tx, project.id, ca, 'generated', userId);
      await ctx.audit.record(tx, { projectId: project.id }, 201);
      return { ca, trusted: await trustedCas(tx, project.id) };
    });
  });
  return jsonResponse({ projectId, ...newCaJson(ca), trusted: trusted.map(caJson) }, 201);
}

/** DELETE /ca/:projectId/:fingerprint — the CA leaves the trust set now; devices still on it must renew. */
export async function retireProjectCa(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const { projectId, fingerprint } = validate(CaParams, ctx.params);
  const { retiredAt, trusted } = await inAuditedTransaction(ctx, { projectId }, async (tx: Tx) => {
    const retiredAt = await markRetired(tx, projectId, fingerprint);
    return { retiredAt, trusted: await asServiceRole(tx, (tx) => trustedCas(tx, projectId)) };
  });
  return jsonResponse({ projectId, fingerprint, retiredAt: retiredAt.toISOString(), trusted: trusted.map(caJson) });
}

/** ca.crt: every trusted CA, the signing one first (nebula's pki.ca takes a bundle). */
function pemOf(cas: readonly TrustedCa[]): string {
  return cas.map((ca) => ca.certificatePem.trimEnd() + '\n').join('');
}

function newCaJson(ca: SealedCa) {
  return { fingerprint: ca.fingerprint, notAfter: ca.notAfter.toISOString(), certificate: ca.certificatePem };
}

function caJson(ca: TrustedCa) {
  return { fingerprint: ca.fingerprint, signing: ca.signing, notBefore: ca.notBefore.toISOString(), notAfter: ca.notAfter.toISOString(), certificate: ca.certificatePem };
}

/** The rotation's body is optional: none, or `{}`, rotates with the automatic retirement alone. */
async function readOptionalJsonBody(request: Request): Promise<RotateCaBody> {
  const length = request.headers.get('content-length');
  if (request.body === null || length === '0') return validate(RotateCaBody, {});
  return readJsonBody(request, RotateCaBody);
}

function wantsPem(request: Request): boolean {
  const accept = request.headers.get('accept') ?? '';
  return accept.includes('application/x-pem-file') || accept.startsWith('text/plain');
}
