// The SDK's people methods (client/src/people.ts) through supabase-js
// against the real function, as the dashboard calls them: invites, joining,
// members and roles, owner transfer, removal and project deletion (a DELETE
// with a body), and the server's codes arriving as VidsyncErrors.
import { beforeAll, expect, it } from 'vitest';
import {
  createDeviceInvite, createInvite, deleteProject, joinProject, listInvites, listMembers, listProjects, removeMember, revokeInvite, setMemberRole, transferOwnership,
} from '../../client/src/browser.ts';
import { useApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { codeOrThrow } from '../support/outcomes.ts';
import type { LocalUser } from '../../scripts/local-functions/start.ts';
import { createProject } from './helpers.ts';

const api = useApi();
let alice: LocalUser;
let bob: LocalUser;
let carol: LocalUser;

beforeAll(async () => {
  [alice, bob, carol] = await Promise.all(['sdk-alice', 'sdk-bob', 'sdk-carol'].map((n) => api.user(n))) as [LocalUser, LocalUser, LocalUser];
});

it('invites, join, members, roles, owner transfer, removal and deletion, each through its SDK method', async () => {
  const [a, b, c] = [alice, bob, carol].map((u) => api.client(u.accessToken)) as [ReturnType<ApiHarness['client']>, ReturnType<ApiHarness['client']>, ReturnType<ApiHarness['client']>];
  const { projectId } = await createProject(a, 'SDK people', '10.198.0.0/24');

  const invite = await createInvite(a, projectId, { role: 'admin', maxUses: 2, expiresInSeconds: 600 });
  expect(invite.code).toMatch(/^[A-Z2-7]{5}(-[A-Z2-7]{5}){4}$/);
  expect((await listInvites(a, projectId)).map((i) => i.inviteId)).toEqual([invite.inviteId]);
  expect(await joinProject(b, invite.code.toLowerCase())).toEqual({ projectId, role: 'admin', joined: true });
  await revokeInvite(a, projectId, invite.inviteId);
  expect(await codeOrThrow(joinProject(c, invite.code))).toBe('invite_revoked');
  const memberInvite = await createInvite(b, projectId, { role: 'member', maxUses: 1, expiresInSeconds: 600 });
  expect((await joinProject(c, memberInvite.code)).role).toBe('member');

  expect((await listMembers(c, projectId)).map((m) => [m.userId, m.role])).toEqual([[alice.id, 'owner'], [bob.id, 'admin'], [carol.id, 'member']]);
  expect(await setMemberRole(b, projectId, carol.id, 'admin')).toEqual({ projectId, userId: carol.id, role: 'admin', previousRole: 'member' });
  expect(await codeOrThrow(setMemberRole(b, projectId, alice.id, 'member'))).toBe('forbidden');
  expect(await codeOrThrow(setMemberRole(a, projectId, alice.id, 'admin'))).toBe('last_owner');

  await transferOwnership(a, projectId, { to: bob.id, from: alice.id });
  expect((await listMembers(a, projectId)).map((m) => [m.userId, m.role])).toEqual([[bob.id, 'owner'], [alice.id, 'admin'], [carol.id, 'admin']]);
  const listed = await listProjects(b);
  expect(listed.changed && listed.data.projects.find((p) => p.projectId === projectId)?.ownerId).toBe(bob.id);

  const deviceInvite = await createDeviceInvite(b, projectId, { maxUses: 3, expiresInSeconds: 600 });
  expect(deviceInvite).toMatchObject({ kind: 'device', role: null, maxUses: 3 });
  expect((await listInvites(b, projectId)).find((i) => i.inviteId === deviceInvite.inviteId)).toMatchObject({ kind: 'device', role: null });
  expect(await removeMember(c, projectId, carol.id)).toEqual({ projectId, userId: carol.id, revokedDevices: 0 });
  expect(await codeOrThrow(deleteProject(a, projectId, 'SDK people'))).toBe('forbidden');
  expect(await codeOrThrow(deleteProject(b, projectId, 'sdk people'))).toBe('project_name_mismatch');
  expect(await deleteProject(b, projectId, 'SDK people')).toMatchObject({ projectId, deleted: true, revokedInvites: 1, subnet: '10.198.0.0/24' });
  expect(await codeOrThrow(listMembers(b, projectId))).toBe('not_found');
});
