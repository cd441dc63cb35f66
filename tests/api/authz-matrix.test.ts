// The authorization matrix of the people routes (issue 12): every route of
// invites, joining, device enrollment, members, roles and project deletion, and the project
// reads, against every kind of caller — owner, admin, member, a removed
// member, a non-member, a device signing its own request, the anon key and
// the service role — asserting the exact status and error code of each.
// Table-driven: one row per route, one column per actor. Callers take turns
// in ACTORS order (the owner last), on a project of their own for the
// route, so a success cannot change what a later caller is answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDeviceRequest } from '../../supabase/functions/_shared/auth/device-signature.ts';
import { bytesToBase64 } from '../../supabase/functions/_shared/base64.ts';
import { generateEd25519KeyPair } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import type { LocalUser } from '../../scripts/local-functions/start.ts';
import { callWith, createProject, newDeviceKey } from './helpers.ts';
import type { CallResult } from './helpers.ts';

const ACTORS = ['anon', 'device', 'nonMember', 'removedMember', 'member', 'admin', 'service', 'owner'] as const;
type MatrixActor = (typeof ACTORS)[number];
type UserActor = 'owner' | 'admin' | 'member' | 'removedMember' | 'nonMember';

/** What each caller gets: a status, and for a refusal its code. */
type Outcome = number | [number, string];
const A401: Outcome = [401, 'unauthorized'];
const F403: Outcome = [403, 'forbidden'];
const N404: Outcome = [404, 'not_found'];

interface Scene {
  projectId: string;
  name: string;
  inviteId: string;
  code: string;
  /** A device-enrollment invite's code. */
  deviceCode: string;
  /** One member per actor, for the routes that act on a member other than the caller. */
  targets: Record<MatrixActor, string>;
}

interface RouteCase {
  readonly route: string;
  readonly request: (scene: Scene, actor: MatrixActor) => { method: string; path: string; body?: unknown };
  readonly expect: Record<MatrixActor, Outcome>;
}

const ROUTES: readonly RouteCase[] = [
  {
    route: 'GET /projects',
    request: () => ({ method: 'GET', path: 'projects' }),
    expect: { anon: A401, device: A401, nonMember: 200, removedMember: 200, member: 200, admin: 200, service: F403, owner: 200 },
  },
  {
    route: 'GET /projects/:projectId',
    request: (s) => ({ method: 'GET', path: `projects/${s.projectId}` }),
    expect: { anon: A401, device: A401, nonMember: N404, removedMember: N404, member: 200, admin: 200, service: 200, owner: 200 },
  },
  {
    route: 'POST /projects/:projectId/invites',
    request: (s) => ({ method: 'POST', path: `projects/${s.projectId}/invites`, body: { role: 'member', maxUses: 1, expiresInSeconds: 600 } }),
    expect: { anon: A401, device: A401, nonMember: N404, removedMember: N404, member: F403, admin: 201, service: 201, owner: 201 },
  },
  {
    route: 'GET /projects/:projectId/invites',
    request: (s) => ({ method: 'GET', path: `projects/${s.projectId}/invites` }),
    expect: { anon: A401, device: A401, nonMember: N404, removedMember: N404, member: F403, admin: 200, service: 200, owner: 200 },
  },
  {
    route: 'DELETE /projects/:projectId/invites/:inviteId',
    request: (s) => ({ method: 'DELETE', path: `projects/${s.projectId}/invites/${s.inviteId}` }),
    expect: { anon: A401, device: A401, nonMember: N404, removedMember: N404, member: F403, admin: 200, service: 200, owner: 200 },
  },
  {
    // A removed member may come back only with an invite, like anyone; a member already gets 200, joined: false.
    route: 'POST /join',
    request: (s) => ({ method: 'POST', path: 'join', body: { code: s.code } }),
    expect: { anon: A401, device: A401, nonMember: 201, removedMember: 201, member: 200, admin: 200, service: F403, owner: 200 },
  },
  {
    // The code is the credential: whoever holds it enrolls a device (for the invite's creator), with or without an account.
    route: 'POST /enroll',
    request: (s) => ({ method: 'POST', path: 'enroll', body: { code: s.deviceCode, deviceId: crypto.randomUUID(), deviceName: `enrolled ${crypto.randomUUID().slice(0, 8)}`, publicKey: enrollKeys.publicKey, apiKey: enrollKeys.apiKey } }),
    expect: { anon: 201, device: A401, nonMember: 201, removedMember: 201, member: 201, admin: 201, service: 201, owner: 201 },
  },
  {
    route: 'GET /projects/:projectId/members',
    request: (s) => ({ method: 'GET', path: `projects/${s.projectId}/members` }),
    expect: { anon: A401, device: A401, nonMember: N404, removedMember: N404, member: 200, admin: 200, service: 200, owner: 200 },
  },
  {
    route: 'PATCH /projects/:projectId/members/:userId',
    request: (s, actor) => ({ method: 'PATCH', path: `projects/${s.projectId}/members/${s.targets[actor]}`, body: { role: 'admin' } }),
    expect: { anon: A401, device: A401, nonMember: N404, removedMember: N404, member: F403, admin: 200, service: 200, owner: 200 },
  },
  {
    route: 'PATCH /projects/:projectId/members/:userId (to owner)',
    request: (s, actor) => ({ method: 'PATCH', path: `projects/${s.projectId}/members/${s.targets[actor]}`, body: { role: 'owner' } }),
    expect: { anon: A401, device: A401, nonMember: N404, removedMember: N404, member: F403, admin: F403, service: 200, owner: 200 },
  },
  {
    route: 'DELETE /projects/:projectId/members/:userId',
    request: (s, actor) => ({ method: 'DELETE', path: `projects/${s.projectId}/members/${s.targets[actor]}` }),
    expect: { anon: A401, device: A401, nonMember: N404, removedMember: N404, member: F403, admin: 200, service: 200, owner: 200 },
  },
  {
    route: 'DELETE /projects/:projectId',
    request: (s) => ({ method: 'DELETE', path: `projects/${s.projectId}`, body: { confirm: s.name } }),
    expect: { anon: A401, device: A401, nonMember: N404, removedMember: N404, member: F403, admin: F403, service: F403, owner: 200 },
  },
];

let api: ApiHarness;
let users: Record<UserActor, LocalUser>;
let tokens: Record<Exclude<MatrixActor, 'device'>, string>;
let device: { id: string; privateKey: Uint8Array };
let sceneCount = 0;
let enrollKeys: { publicKey: string; apiKey: string };

beforeAll(async () => {
  api = await startApi();
  const names: UserActor[] = ['owner', 'admin', 'member', 'removedMember', 'nonMember'];
  users = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await api.user(`matrix-${n}`)]))) as Record<UserActor, LocalUser>;
  tokens = {
    anon: api.functions.anonKey,
    service: api.functions.serviceRoleKey,
    ...(Object.fromEntries(names.map((n) => [n, users[n].accessToken])) as Record<UserActor, string>),
  };
  // A device with its own API key, in a project of the member's: its signature is good, the routes are not its own.
  const home = await createProject(api.client(users.member.accessToken), 'Matrix device home');
  const key = await newDeviceKey();
  const id = crypto.randomUUID();
  expect((await callWith(api, tokens.member, 'POST', 'register', { projectId: home.projectId, deviceId: id, deviceName: 'nas', publicKey: key.publicKeyPem })).status).toBe(200);
  const apiKey = await generateEd25519KeyPair();
  expect((await callWith(api, tokens.member, 'POST', `credential/${id}`, { apiKey: bytesToBase64(apiKey.publicKey) })).status).toBe(200);
  device = { id, privateKey: apiKey.privateKey };
  enrollKeys = { publicKey: (await newDeviceKey()).publicKeyPem, apiKey: bytesToBase64((await generateEd25519KeyPair()).publicKey) };
});
afterAll(async () => api?.stop());

/** A project of the owner with an admin, a member, a removed member (removed through the API), an invite and one target member per actor. */
async function scene(): Promise<Scene> {
  const name = `Matrix ${++sceneCount}`;
  const { projectId } = await createProject(api.client(tokens.owner), name);
  const targetUsers = await Promise.all(ACTORS.map((a) => api.user(`matrix-target-${a}`)));
  await api.sql`insert into vidsync.project_members (project_id, user_id, role) select ${projectId}, u, r from unnest(
    ${[users.admin.id, users.member.id, users.removedMember.id, ...targetUsers.map((u) => u.id)]}::uuid[],
    ${['admin', 'member', 'member', ...targetUsers.map(() => 'member')]}::text[]) as t(u, r)`;
  expect((await callWith(api, tokens.owner, 'DELETE', `projects/${projectId}/members/${users.removedMember.id}`)).status).toBe(200);
  const invite = await callWith(api, tokens.owner, 'POST', `projects/${projectId}/invites`, { role: 'member', maxUses: 100, expiresInSeconds: 600 });
  expect(invite.status).toBe(201);
  const deviceInvite = await callWith(api, tokens.owner, 'POST', `projects/${projectId}/invites`, { kind: 'device', maxUses: 100, expiresInSeconds: 600 });
  expect(deviceInvite.status).toBe(201);
  return {
    deviceCode: deviceInvite.json.code as string,
    projectId,
    name,
    inviteId: invite.json.inviteId as string,
    code: invite.json.code as string,
    targets: Object.fromEntries(ACTORS.map((a, i) => [a, targetUsers[i]!.id])) as Record<MatrixActor, string>,
  };
}

async function callAs(actor: MatrixActor, method: string, path: string, body?: unknown): Promise<CallResult> {
  if (actor !== 'device') return callWith(api, tokens[actor], method, path, body);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const authorization = await signDeviceRequest({ deviceId: device.id, privateKey: device.privateKey }, {
    method,
    pathAndQuery: `/nebula/${path}`,
    body: text === undefined ? undefined : new TextEncoder().encode(text),
  });
  return callWith(api, '', method, path, body, { authorization });
}

describe('authorization matrix of the people routes', () => {
  it.each(ROUTES.map((r) => [r.route, r] as const))('%s', async (_, route) => {
    const s = await scene();
    const got: Record<string, Outcome> = {};
    for (const actor of ACTORS) {
      const { method, path, body } = route.request(s, actor);
      const res = await callAs(actor, method, path, body);
      got[actor] = res.status < 400 ? res.status : [res.status, res.code ?? '(none)'];
    }
    expect(got).toEqual(route.expect);
  });
});
