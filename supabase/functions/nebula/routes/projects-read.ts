// What a project's members read about it (the dashboard polls these):
//   GET /projects             the caller's projects: role, subnet, pool usage, live devices, CA expiry
//   GET /projects/:projectId  one of them with its members (role, devices) and devices (address, online, certificate, Syncthing ID)
// Both answer an ETag (a digest of the body) and 304 to a matching
// If-None-Match, so a page polling every few seconds gets no body while
// nothing changed. Membership is RLS's: a project you are not in is 404.
import { ProjectParams, validate } from '../../_shared/http/index.ts';
import { taggedResponse } from '../../_shared/http/etag.ts';
import type { RequestContext } from '../context.ts';
import { inTransaction } from '../store/index.ts';
import { deviceSummaries, projectSummaries } from '../store/projects-read.ts';
import { listMembers } from '../store/members.ts';
import type { DeviceSummary, ProjectSummary } from '../store/projects-read.ts';
import { requireSignedIn, requireUser } from './guards.ts';
import { isOnline } from '../presence.ts';

export async function listProjects(ctx: RequestContext): Promise<Response> {
  // "Mine": the service role is nobody's member and would see every project.
  requireUser(ctx.caller, 'list your projects');
  const projects = await inTransaction(ctx.sql, ctx.caller, (tx) => projectSummaries(tx, null));
  return withEtag(ctx.request, { projects: projects.map(projectView) });
}

export async function getProject(ctx: RequestContext): Promise<Response> {
  requireSignedIn(ctx.caller);
  const projectId = validate(ProjectParams, ctx.params).projectId;
  const { project, members, devices } = await inTransaction(ctx.sql, ctx.caller, async (tx) => {
    // Devices and members first: the reads are the caller's, before projectSummaries switches to service_role for the CA.
    const devices = await deviceSummaries(tx, projectId);
    const members = await listMembers(tx, projectId);
    const [project] = await projectSummaries(tx, projectId);
    return { project: project!, members, devices };
  });
  const now = Date.now();
  return withEtag(ctx.request, { project: projectView(project), members, devices: devices.map((d) => deviceView(d, now)) });
}

function projectView(p: ProjectSummary) {
  return {
    projectId: p.id,
    name: p.name,
    subnet: p.subnet,
    ownerId: p.ownerId,
    createdAt: p.createdAt.toISOString(),
    role: p.role,
    pool: { ...p.pool, free: Math.max(0, p.pool.size - p.pool.used - p.pool.cooling) },
    devices: p.liveDevices,
    ca: p.ca ? { fingerprint: p.ca.fingerprint, notAfter: p.ca.notAfter.toISOString() } : null,
  };
}

function deviceView(d: DeviceSummary, now: number) {
  return {
    deviceId: d.id,
    name: d.name,
    ownerId: d.ownerId,
    ip: d.ip,
    state: d.revokedAt ? 'revoked' : d.ip ? 'live' : 'released',
    isLighthouse: d.isLighthouse,
    online: d.ip !== null && isOnline(d.lastSeenAt, now),
    lastSeenAt: d.lastSeenAt?.toISOString() ?? null,
    syncthingDeviceId: d.syncthingDeviceId,
    agentVersion: d.agentVersion,
    nebulaVersion: d.nebulaVersion,
    certificate: d.certificate ? { fingerprint: d.certificate.fingerprint, notAfter: d.certificate.notAfter.toISOString() } : null,
    // Sync state per shared folder, from its last heartbeat (state, completion %, errors).
    folders: d.folders,
  };
}

function withEtag(request: Request, body: unknown): Promise<Response> {
  return taggedResponse(request, JSON.stringify(body), 'application/json; charset=utf-8');
}
