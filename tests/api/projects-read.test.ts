// GET /projects and GET /projects/:projectId (what the dashboard polls),
// against the function served by Deno: who sees what (members only, their
// own role), the pool's used / cooling / free counts and device states as
// the database holds them, the CA's expiry, and ETag / 304 through the
// browser-safe SDK entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProject, isVidsyncError, listProjects } from '../../client/src/browser.ts';
import type { ProjectDetail, ProjectOverview } from '../../client/src/browser.ts';
import { parseCidr } from '../../supabase/functions/_shared/net/index.ts';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { addMember, callWith, createProject, newDeviceKey } from './helpers.ts';
import type { CreatedProject } from './helpers.ts';

type Actor = 'anon' | 'nonMember' | 'member' | 'owner' | 'service';

let api: ApiHarness;
let tokens: Record<Actor, string>;
let project: CreatedProject;
let kept: { deviceId: string; ip: string };
let released: { deviceId: string; ip: string };

beforeAll(async () => {
  api = await startApi();
  const [owner, member, nonMember] = await Promise.all(['pr-owner', 'pr-member', 'pr-outsider'].map((n) => api.user(n)));
  tokens = {
    anon: api.functions.anonKey,
    service: api.functions.serviceRoleKey,
    owner: owner!.accessToken,
    member: member!.accessToken,
    nonMember: nonMember!.accessToken,
  };
  project = await createProject(api.client(tokens.owner), 'Read me');
  await addMember(api.sql, project.projectId, member!.id, 'member');
  kept = await register('member', 'Kept');
  released = await register('owner', 'Released');
  const res = await call('owner', 'POST', `release/${released.deviceId}`);
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await api?.stop();
});

function call(actor: Actor, method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}) {
  return callWith(api, tokens[actor], method, path, body, headers);
}

async function register(actor: Actor, name: string): Promise<{ deviceId: string; ip: string }> {
  const deviceId = crypto.randomUUID();
  const key = await newDeviceKey();
  const res = await call(actor, 'POST', 'register', { projectId: project.projectId, deviceId, deviceName: name, publicKey: key.publicKeyPem });
  expect(res.status).toBe(200);
  return { deviceId, ip: res.json.ip as string };
}

function hostsOf(subnet: string): number {
  return 2 ** (32 - parseCidr(subnet).prefix) - 2;
}

describe('GET /projects', () => {
  it('lists the caller’s projects with their role, subnet, pool usage, live devices and CA expiry', async () => {
    const res = await call('owner', 'GET', 'projects');
    expect(res.status).toBe(200);
    const projects = res.json.projects as ProjectOverview[];
    expect(projects).toHaveLength(1);
    const size = hostsOf(project.subnet);
    expect(projects[0]).toEqual({
      projectId: project.projectId,
      name: 'Read me',
      subnet: project.subnet,
      ownerId: project.ownerId,
      createdAt: expect.any(String),
      role: 'owner',
      pool: { size, used: 1, cooling: 1, free: size - 2 },
      devices: 1,
      ca: { fingerprint: project.ca.fingerprint, notAfter: new Date(project.ca.notAfter).toISOString() },
    });
  });

  it('shows a member their own role, and an outsider nothing of it', async () => {
    const member = (await call('member', 'GET', 'projects')).json.projects as ProjectOverview[];
    expect(member.map((p) => [p.projectId, p.role])).toEqual([[project.projectId, 'member']]);
    const outsider = await call('nonMember', 'GET', 'projects');
    expect(outsider.status).toBe(200);
    expect(outsider.json.projects).toEqual([]);
  });

  it('refuses the anon key (401) and the service role, which is nobody’s member (403)', async () => {
    expect(await call('anon', 'GET', 'projects')).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(await call('service', 'GET', 'projects')).toMatchObject({ status: 403, code: 'forbidden' });
  });
});

describe('GET /projects/:projectId', () => {
  it('gives members the project and every device: address, state, online, certificate', async () => {
    for (const actor of ['owner', 'member', 'service'] as const) {
      const res = await call(actor, 'GET', `projects/${project.projectId}`);
      expect(res.status).toBe(200);
      const detail = res.json as unknown as ProjectDetail;
      expect(detail.project.projectId).toBe(project.projectId);
      expect(detail.project.role).toBe(actor === 'service' ? null : actor);
      const byId = new Map(detail.devices.map((d) => [d.deviceId, d]));
      // Registering counts as being seen: a device just registered is online.
      const [seen] = await api.sql<{ last_seen_at: Date }[]>`select last_seen_at from vidsync.devices where id = ${kept.deviceId}`;
      expect(byId.get(kept.deviceId)).toMatchObject({
        name: 'Kept', ip: kept.ip, state: 'live', online: true, isLighthouse: false, lastSeenAt: seen!.last_seen_at.toISOString(),
      });
      // A released device holds no address and is never online, whenever it was last seen.
      expect(byId.get(released.deviceId)).toMatchObject({ name: 'Released', ip: null, state: 'released', online: false });
      const [cert] = await api.sql<{ not_after: Date }[]>`
        select not_after from vidsync.issued_certificates where device_id = ${kept.deviceId} order by not_after desc limit 1`;
      expect(byId.get(kept.deviceId)!.certificate?.notAfter).toBe(cert!.not_after.toISOString());
    }
  });

  it('is 404 to an outsider, 401 to the anon key, 400 for a malformed id', async () => {
    expect(await call('nonMember', 'GET', `projects/${project.projectId}`)).toMatchObject({ status: 404, code: 'not_found' });
    expect(await call('nonMember', 'GET', `projects/${crypto.randomUUID()}`)).toMatchObject({ status: 404, code: 'not_found' });
    expect(await call('anon', 'GET', `projects/${project.projectId}`)).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(await call('owner', 'GET', 'projects/not-a-uuid')).toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it('answers 304 to its own ETag until something changes, then the new state (through the browser SDK)', async () => {
    const client = api.client(tokens.owner);
    const first = await getProject(client, project.projectId);
    expect(first.changed).toBe(true);
    const again = await getProject(client, project.projectId, first.etag);
    expect(again).toEqual({ changed: false, etag: first.etag });
    const list = await listProjects(client);
    expect(list.changed && list.data.projects.length).toBe(1);
    expect((await listProjects(client, list.etag)).changed).toBe(false);

    const added = await register('owner', 'Added');
    const after = await getProject(client, project.projectId, first.etag);
    expect(after.changed).toBe(true);
    expect(after.etag).not.toBe(first.etag);
    if (after.changed) expect(after.data.devices.find((d) => d.deviceId === added.deviceId)?.ip).toBe(added.ip);
    expect((await listProjects(client, list.etag)).changed).toBe(true);
  });

  it('turns an error into a VidsyncError with the server’s code', async () => {
    const error = await getProject(api.client(tokens.nonMember), project.projectId).catch((e: unknown) => e);
    expect(isVidsyncError(error) && error.code).toBe('not_found');
  });
});
