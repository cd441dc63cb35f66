// Invites and members through HTTP: every route as owner, admin, member,
// non-member (404, as for a project that does not exist), the anon key
// (401) and the service role; POST /join's codes; removing a member revokes
// their devices (GET /status shows revokedAt); the last owner stays (409
// last_owner). Real Deno, real Postgres.
import { beforeAll, describe, expect, it } from 'vitest';
import { useApi } from '../support/api.ts';
import { actorTokens, callWith, createTeamProject, newDeviceKey } from './helpers.ts';
import type { Actor, TeamUsers } from './helpers.ts';

const api = useApi();
let tokens: Record<Actor, string>;
let users: TeamUsers;
let projectId: string;
let subnetIndex = 0;

async function newProject(): Promise<string> {
  return (await createTeamProject(api, { tokens, users }, `People ${++subnetIndex}`, `10.${120 + subnetIndex}.0.0/24`)).projectId;
}

const createInvite = (token: string, project = projectId, body: unknown = { role: 'member', maxUses: 3, expiresInSeconds: 3600 }) =>
  callWith(api, token, 'POST', `projects/${project}/invites`, body);
const join = (token: string, code: unknown) => callWith(api, token, 'POST', 'join', { code });

beforeAll(async () => {
  ({ tokens, users } = await actorTokens(api, 'people'));
  projectId = await newProject();
});

describe('invites', () => {
  it('POST /projects/:id/invites: owner and admin 201 with a code shown once; member 403, non-member 404, anon 401', async () => {
    const expected: Record<Actor, number> = { owner: 201, admin: 201, member: 403, nonMember: 404, anon: 401, service: 201 };
    for (const actor of Object.keys(expected) as Actor[]) {
      const res = await createInvite(tokens[actor]);
      expect(res.status, actor).toBe(expected[actor]);
      if (res.status === 201) {
        expect(res.json).toMatchObject({ role: 'member', maxUses: 3 });
        expect(res.json.code).toMatch(/^[A-Z2-7]{5}(-[A-Z2-7]{5}){4}$/);
        expect(Date.parse(res.json.expiresAt as string) - Date.now()).toBeGreaterThan(3500_000);
      }
    }
    expect((await createInvite(tokens.owner, projectId, { role: 'owner', maxUses: 1, expiresInSeconds: 60 })).code).toBe('validation_failed');
    expect((await createInvite(tokens.owner, projectId, { role: 'member', maxUses: 1001, expiresInSeconds: 60 })).code).toBe('validation_failed');
    expect((await createInvite(tokens.owner, projectId, { role: 'member', maxUses: 1, expiresInSeconds: 59 })).code).toBe('validation_failed');
  });

  it('GET lists without any code (owner/admin); DELETE revokes (owner/admin); others refused', async () => {
    const created = await createInvite(tokens.admin);
    const inviteId = created.json.inviteId as string;
    const expected: Record<Actor, number> = { owner: 200, admin: 200, member: 403, nonMember: 404, anon: 401, service: 200 };
    for (const actor of Object.keys(expected) as Actor[]) {
      const res = await callWith(api, tokens[actor], 'GET', `projects/${projectId}/invites`);
      expect(res.status, actor).toBe(expected[actor]);
      if (res.status === 200) {
        expect(JSON.stringify(res.json)).not.toContain(created.json.code as string);
        expect((res.json.invites as { inviteId: string }[]).map((i) => i.inviteId)).toContain(inviteId);
      }
    }
    for (const actor of ['member', 'nonMember', 'anon'] as const) {
      expect((await callWith(api, tokens[actor], 'DELETE', `projects/${projectId}/invites/${inviteId}`)).status, actor).toBe(expected[actor]);
    }
    expect((await callWith(api, tokens.admin, 'DELETE', `projects/${projectId}/invites/${inviteId}`)).status).toBe(200);
    expect((await callWith(api, tokens.owner, 'DELETE', `projects/${projectId}/invites/${crypto.randomUUID()}`)).status).toBe(404);
    const joiner = await api.user('people-revoked');
    expect(await join(joiner.accessToken, created.json.code)).toMatchObject({ status: 410, code: 'invite_revoked' });
  });

  it('POST /join: a member with the invite\'s role (201), again 200 with no use counted; codes for used up, expired, unknown; anon 401', async () => {
    const project = await newProject();
    const created = await createInvite(tokens.owner, project, { role: 'admin', maxUses: 1, expiresInSeconds: 60 });
    const code = created.json.code as string;
    const joiner = await api.user('people-joiner');
    // Typed in lower case with spaces: the same code.
    expect(await join(joiner.accessToken, code.toLowerCase().replace(/-/g, ' '))).toMatchObject({ status: 201, json: { projectId: project, role: 'admin', joined: true } });
    expect(await join(joiner.accessToken, code)).toMatchObject({ status: 200, json: { projectId: project, role: 'admin', joined: false } });
    const late = await api.user('people-late');
    expect(await join(late.accessToken, code)).toMatchObject({ status: 410, code: 'invite_used_up' });
    const expiring = await createInvite(tokens.owner, project);
    await api.sql`update vidsync.project_invites set expires_at = now() - interval '1 second' where id = ${expiring.json.inviteId as string}`;
    expect(await join(late.accessToken, expiring.json.code)).toMatchObject({ status: 410, code: 'invite_expired' });
    expect(await join(late.accessToken, 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA')).toMatchObject({ status: 404, code: 'invite_unknown' });
    expect(await join(late.accessToken, 'not a code')).toMatchObject({ status: 400, code: 'validation_failed' });
    // Every refused code leaves a row naming who tried it.
    const refusals = await api.sql<{ result: string }[]>`select result from vidsync.audit_log where actor_id = ${late.id} and action = 'member.join' order by id`;
    expect(refusals.map((r) => r.result)).toEqual(['invite_used_up', 'invite_expired', 'invite_unknown']);
    expect((await join(tokens.anon, code)).status).toBe(401);
    const members = await callWith(api, joiner.accessToken, 'GET', `projects/${project}/members`);
    expect((members.json.members as { userId: string; role: string }[]).find((m) => m.userId === joiner.id)).toMatchObject({ role: 'admin' });
  });

  it('repeated wrong codes from one user are rate-limited (429 with Retry-After)', async () => {
    await api.sql`update vidsync.rate_limits set capacity = 3, refill_per_second = 0.001 where route_class = 'join' and scope = 'user'`;
    const guesser = await api.user('people-guesser');
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push((await join(guesser.accessToken, `AAAAA-AAAAA-AAAAA-AAAAA-AAAA${'BCDEF'[i]}`)).status);
    expect(outcomes).toEqual([404, 404, 404, 429, 429]);
  });
});

describe('members', () => {
  it('GET /projects/:id/members: every member 200 (owners first); non-member 404, anon 401', async () => {
    const expected: Record<Actor, number> = { owner: 200, admin: 200, member: 200, nonMember: 404, anon: 401, service: 200 };
    for (const actor of Object.keys(expected) as Actor[]) {
      const res = await callWith(api, tokens[actor], 'GET', `projects/${projectId}/members`);
      expect(res.status, actor).toBe(expected[actor]);
      if (res.status === 200) expect((res.json.members as { role: string }[])[0]).toMatchObject({ userId: users.owner.id, role: 'owner' });
    }
  });

  it('DELETE /projects/:id/members/:userId: revokes the member\'s device (GET /status shows revokedAt); they can no longer register', async () => {
    const project = await newProject();
    const key = await newDeviceKey();
    const deviceId = crypto.randomUUID();
    const registered = await callWith(api, tokens.member, 'POST', 'register', { projectId: project, deviceId, deviceName: 'laptop', publicKey: key.publicKeyPem });
    expect(registered.status).toBe(200);
    const refusals: Partial<Record<Actor, number>> = { nonMember: 404, anon: 401 };
    for (const [actor, status] of Object.entries(refusals) as [Actor, number][]) {
      expect((await callWith(api, tokens[actor], 'DELETE', `projects/${project}/members/${users.member.id}`)).status, actor).toBe(status);
    }
    const removed = await callWith(api, tokens.admin, 'DELETE', `projects/${project}/members/${users.member.id}`);
    expect(removed).toMatchObject({ status: 200, json: { revokedDevices: 1 } });
    const status = await callWith(api, tokens.owner, 'GET', `status/${deviceId}`);
    expect(status.json.revokedAt).toEqual(expect.any(String));
    const again = await callWith(api, tokens.member, 'POST', 'register', { projectId: project, deviceId: crypto.randomUUID(), deviceName: 'again', publicKey: key.publicKeyPem });
    expect(again.status).toBe(404);
  });

  it('a member may leave but not remove another; an admin may not remove an owner; the last owner cannot leave (409 last_owner)', async () => {
    const project = await newProject();
    expect((await callWith(api, tokens.member, 'DELETE', `projects/${project}/members/${users.admin.id}`)).status).toBe(403);
    expect((await callWith(api, tokens.member, 'DELETE', `projects/${project}/members/${users.member.id}`)).status).toBe(200);
    expect((await callWith(api, tokens.admin, 'DELETE', `projects/${project}/members/${users.owner.id}`)).status).toBe(403);
    expect(await callWith(api, tokens.owner, 'DELETE', `projects/${project}/members/${users.owner.id}`)).toMatchObject({ status: 409, code: 'last_owner' });
    expect(await callWith(api, tokens.service, 'DELETE', `projects/${project}/members/${users.owner.id}`)).toMatchObject({ status: 409, code: 'last_owner' });
  });
});
