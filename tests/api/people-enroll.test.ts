// Device-enrollment invites (migration 20251130080000, routes/enroll.ts): an
// owner or admin makes an invite of kind `device`; a headless device with no
// user account (the anon key only) redeems it at POST /enroll and is
// registered for the invite's creator with its API key, its bundle in the
// answer, and signs its own requests from then on. Uses are counted under
// the invite's lock (6 concurrent enrollments of a 2-use invite make 2
// devices); the kinds do not mix (a device code at /join, a member code at
// /enroll: unknown); dead codes keep their codes; a creator who left takes
// the invite with them.
import { expect, it } from 'vitest';
import YAML from 'yaml';
import { unzipBundle } from '../../supabase/functions/_shared/bundle/index.ts';
import { signDeviceRequest } from '../../supabase/functions/_shared/auth/device-signature.ts';
import { base64ToBytes, bytesToBase64 } from '../../supabase/functions/_shared/base64.ts';
import { generateEd25519KeyPair } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { useApi } from '../support/api.ts';
import { addMember, callWith, newDeviceKey, useTeam } from './helpers.ts';

const api = useApi();
const team = useTeam(api, 'enroll', 'Fleet', '10.197.0.0/24');

const deviceInvite = (token: string, maxUses = 5) =>
  callWith(api, token, 'POST', `projects/${team.projectId}/invites`, { kind: 'device', maxUses, expiresInSeconds: 600 });

async function enroll(code: unknown, name = `nas ${crypto.randomUUID().slice(0, 8)}`) {
  const deviceId = crypto.randomUUID();
  const key = await newDeviceKey();
  const apiKey = await generateEd25519KeyPair();
  const res = await callWith(api, api.functions.anonKey, 'POST', 'enroll', { code, deviceId, deviceName: name, publicKey: key.publicKeyPem, apiKey: bytesToBase64(apiKey.publicKey) });
  return { ...res, deviceId, privateKey: apiKey.privateKey };
}

it('owners and admins make device invites (a member 403); listed with their kind; no role', async () => {
  expect(await deviceInvite(team.users.member.accessToken)).toMatchObject({ status: 403, code: 'forbidden' });
  expect((await callWith(api, api.functions.serviceRoleKey, 'POST', `projects/${team.projectId}/invites`, { kind: 'device', maxUses: 1, expiresInSeconds: 600 })).code).toBe('validation_failed');
  expect((await callWith(api, team.users.owner.accessToken, 'POST', `projects/${team.projectId}/invites`, { kind: 'device', role: 'admin', maxUses: 1, expiresInSeconds: 600 })).code).toBe('validation_failed');
  const made = await deviceInvite(team.users.admin.accessToken);
  expect(made).toMatchObject({ status: 201, json: { kind: 'device', role: null, maxUses: 5 } });
  const list = await callWith(api, team.users.owner.accessToken, 'GET', `projects/${team.projectId}/invites`);
  expect((list.json.invites as { inviteId: string; kind: string; role: string | null }[]).find((i) => i.inviteId === made.json.inviteId)).toMatchObject({ kind: 'device', role: null });
});

it('a device enrolls with the anon key only: registered for the invite\'s creator, bundle in the answer, then signs its own requests', async () => {
  const made = await deviceInvite(team.users.admin.accessToken);
  const started = performance.now();
  const res = await enroll(made.json.code, 'Basement NAS');
  expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  expect(res).toMatchObject({ status: 201, json: { projectId: team.projectId, deviceId: res.deviceId, cidr: expect.stringMatching(/^10\.197\.0\.\d+\/24$/) } });
  // The same bundle as a registration's: its nebula.yml names the trusted CAs, as GET /config does.
  const files = unzipBundle(base64ToBytes(res.json.bundle as string)!);
  const config = YAML.parse(new TextDecoder().decode(files['nebula.yml']!)) as { vidsync?: { ca?: { signing: string } } };
  const ca = await callWith(api, team.users.owner.accessToken, 'GET', `ca/${team.projectId}`);
  expect(config.vidsync?.ca?.signing).toBe(ca.json.signing);
  const [row] = await api.sql`select owner_id, name, api_public_key is not null as has_key from vidsync.devices where id = ${res.deviceId}`;
  expect(row).toMatchObject({ owner_id: team.users.admin.id, name: 'Basement NAS', has_key: true });
  const [cert] = await api.sql`select issued_by from vidsync.issued_certificates where device_id = ${res.deviceId}`;
  expect(cert!.issued_by).toBe(team.users.admin.id);
  const [audit] = await api.sql`select actor_kind, actor_id, result from vidsync.audit_log where action = 'device.enroll' and device_id = ${res.deviceId}`;
  expect(audit).toMatchObject({ actor_kind: 'device', actor_id: res.deviceId, result: 'ok' });

  const path = `heartbeat/${res.deviceId}`;
  const body = JSON.stringify({ agentVersion: '0.1.0' });
  const authorization = await signDeviceRequest({ deviceId: res.deviceId, privateKey: res.privateKey }, { method: 'POST', pathAndQuery: `/nebula/${path}`, body: new TextEncoder().encode(body) });
  expect((await callWith(api, '', 'POST', path, JSON.parse(body), { authorization })).status).toBe(200);
  // The project's members see it as the admin's device.
  const devices = await callWith(api, team.users.owner.accessToken, 'GET', `projects/${team.projectId}`);
  expect((devices.json.devices as { deviceId: string; ownerId: string }[]).find((d) => d.deviceId === res.deviceId)?.ownerId).toBe(team.users.admin.id);
});

it('counts uses under the invite\'s lock: 6 concurrent enrollments of a 2-use invite make 2 devices, the rest 410 invite_used_up', async () => {
  const made = await deviceInvite(team.users.owner.accessToken, 2);
  const results = await Promise.all(Array.from({ length: 6 }, () => enroll(made.json.code)));
  expect(results.map((r) => r.status).sort()).toEqual([201, 201, 410, 410, 410, 410]);
  for (const r of results.filter((x) => x.status === 410)) expect(r.code).toBe('invite_used_up');
  const [used] = await api.sql`select uses from vidsync.project_invites where id = ${made.json.inviteId as string}`;
  expect(used!.uses).toBe(2);
  const failed = results.filter((r) => r.status !== 201).map((r) => r.deviceId);
  expect(await api.sql`select 1 from vidsync.devices where id = any(${failed}::uuid[])`).toHaveLength(0);
});

it('the kinds do not mix; dead codes keep their codes; bad input 400 and counts no use', async () => {
  const device = await deviceInvite(team.users.owner.accessToken);
  const memberInvite = await callWith(api, team.users.owner.accessToken, 'POST', `projects/${team.projectId}/invites`, { role: 'member', maxUses: 5, expiresInSeconds: 600 });
  const joiner = await api.user('enroll-joiner');
  expect(await callWith(api, joiner.accessToken, 'POST', 'join', { code: device.json.code })).toMatchObject({ status: 404, code: 'invite_unknown' });
  expect(await enroll(memberInvite.json.code)).toMatchObject({ status: 404, code: 'invite_unknown' });
  expect(await enroll('AAAAA-BBBBB-CCCCC-DDDDD-EEEEE')).toMatchObject({ status: 404, code: 'invite_unknown' });

  const badKey = await callWith(api, api.functions.anonKey, 'POST', 'enroll', { code: device.json.code, deviceId: crypto.randomUUID(), deviceName: 'x', publicKey: 'not a key', apiKey: bytesToBase64(new Uint8Array(32)) });
  expect(badKey.status).toBe(400);
  expect((await enroll('short')).code).toBe('validation_failed');
  const [unused] = await api.sql`select uses from vidsync.project_invites where id = ${device.json.inviteId as string}`;
  expect(unused!.uses).toBe(0);

  const expiring = await deviceInvite(team.users.owner.accessToken);
  await api.sql`update vidsync.project_invites set expires_at = now() - interval '1 second' where id = ${expiring.json.inviteId as string}`;
  expect(await enroll(expiring.json.code)).toMatchObject({ status: 410, code: 'invite_expired' });
  expect((await callWith(api, team.users.owner.accessToken, 'DELETE', `projects/${team.projectId}/invites/${device.json.inviteId as string}`)).status).toBe(200);
  expect(await enroll(device.json.code)).toMatchObject({ status: 410, code: 'invite_revoked' });
});

it('an invite whose creator left the project enrolls nothing (410 invite_revoked)', async () => {
  const leaver = await api.user('enroll-leaver');
  await addMember(api.sql, team.projectId, leaver.id, 'admin');
  const made = await deviceInvite(leaver.accessToken);
  expect((await callWith(api, leaver.accessToken, 'DELETE', `projects/${team.projectId}/members/${leaver.id}`)).status).toBe(200);
  expect(await enroll(made.json.code)).toMatchObject({ status: 410, code: 'invite_revoked' });
});
