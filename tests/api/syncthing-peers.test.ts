// PUT /devices/:deviceId/syncthing and GET /peers/:deviceId through the SDK
// and raw HTTP against the function served by Deno: who may call them, what
// the peer list holds (only the project's other live devices), ETag / 304,
// and refusals that leave the database unchanged.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import fc from 'fast-check';
import { isVidsyncError, NebulaClient } from '../../client/src/index.ts';
import type { PeerList } from '../../client/src/index.ts';
import { parseCidr, prefixWithin } from '../../supabase/functions/_shared/net/index.ts';
import { signDeviceRequest } from '../../supabase/functions/_shared/auth/device-signature.ts';
import { bytesToBase64 } from '../../supabase/functions/_shared/base64.ts';
import { generateEd25519KeyPair } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { syncthingDeviceIdFromSha256 } from '../../supabase/functions/_shared/syncthing/index.ts';
import { useApi } from '../support/api.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { singleSubstitutions } from '../support/syncthing-ids.ts';
import { ACTORS, callWith, createProject, newDeviceKey, useTeam } from './helpers.ts';
import type { Actor } from './helpers.ts';

const api = useApi();
const team = useTeam(api, 'st', 'Peers');
const workDir = useTempDir('vidsync-peers');
const ids = fc.sample(fc.uint8Array({ minLength: 32, maxLength: 32 }), { numRuns: 40, seed: 2611 }).map(syncthingDeviceIdFromSha256);
let nextId = 0;
const freshSyncthingId = () => ids[nextId++]!;

function call(actor: Actor, method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}) {
  return callWith(api, team.tokens[actor], method, path, body, headers);
}

async function register(actor: Actor, options: { syncthingDeviceId?: string; lighthouse?: boolean; name?: string } = {}) {
  const deviceId = crypto.randomUUID();
  const key = await newDeviceKey();
  const result = await call(actor, 'POST', 'register', {
    projectId: team.projectId,
    deviceId,
    deviceName: options.name ?? `${actor} device ${deviceId.slice(0, 8)}`,
    publicKey: key.publicKeyPem,
    ...(options.syncthingDeviceId ? { syncthingDeviceId: options.syncthingDeviceId } : {}),
    ...(options.lighthouse ? { lighthouse: { endpoints: ['198.18.0.9:4242'] } } : {}),
  });
  expect(result.status).toBe(200);
  return { deviceId, ip: result.json.ip as string };
}

async function storedId(deviceId: string): Promise<string | null> {
  const [row] = await api.sql<{ id: string | null }[]>`select syncthing_device_id as id from vidsync.devices where id = ${deviceId}`;
  return row!.id;
}

describe('PUT /devices/:deviceId/syncthing', () => {
  const EXPECT: Record<Actor, number> = { anon: 401, nonMember: 404, member: 403, admin: 200, owner: 200, service: 200 };

  it.each(ACTORS)("on the owner's device, as %s", async (actor) => {
    const device = await register('owner');
    const id = freshSyncthingId();
    const result = await call(actor, 'PUT', `devices/${device.deviceId}/syncthing`, { deviceId: id });
    expect(result.status).toBe(EXPECT[actor]);
    if (result.status === 200) expect(result.json).toEqual({ deviceId: device.deviceId, syncthingDeviceId: id });
    else expect(result.code).toBe({ 401: 'unauthorized', 403: 'forbidden', 404: 'not_found' }[result.status]);
    expect(await storedId(device.deviceId)).toBe(result.status === 200 ? id : null);
  });

  it('lets a member set the ID of their own device, and clear it with null', async () => {
    const device = await register('member');
    const id = freshSyncthingId();
    expect((await call('member', 'PUT', `devices/${device.deviceId}/syncthing`, { deviceId: id })).status).toBe(200);
    expect(await storedId(device.deviceId)).toBe(id);
    expect((await call('member', 'PUT', `devices/${device.deviceId}/syncthing`, { deviceId: null })).status).toBe(200);
    expect(await storedId(device.deviceId)).toBeNull();
  });

  it('keeps the ID when the device registers again without one (the agent re-registers; the ID was set by PUT)', async () => {
    const deviceId = crypto.randomUUID();
    const key = await newDeviceKey();
    const body = { projectId: team.projectId, deviceId, deviceName: `kept ${deviceId.slice(0, 8)}`, publicKey: key.publicKeyPem };
    expect((await call('member', 'POST', 'register', body)).status).toBe(200);
    const id = freshSyncthingId();
    expect((await call('member', 'PUT', `devices/${deviceId}/syncthing`, { deviceId: id })).status).toBe(200);
    expect((await call('member', 'POST', 'register', body)).status).toBe(200);
    expect(await storedId(deviceId)).toBe(id);
  });

  it('refuses an ID with a wrong check character (400), one in use by another live device (409), bad bodies (400)', async () => {
    const taken = freshSyncthingId();
    await register('owner', { syncthingDeviceId: taken });
    const device = await register('owner');
    const put = (body: unknown) => call('owner', 'PUT', `devices/${device.deviceId}/syncthing`, body);
    for (const wrong of singleSubstitutions(freshSyncthingId()).filter((_, i) => i % 97 === 0)) {
      expect(await put({ deviceId: wrong })).toMatchObject({ status: 400, code: 'validation_failed' });
    }
    expect(await put({ deviceId: taken })).toMatchObject({ status: 409, code: 'conflict' });
    expect(await put({})).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(await put({ deviceId: freshSyncthingId(), extra: 1 })).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(await put({ deviceId: 42 })).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(await storedId(device.deviceId)).toBeNull();
    const bad = await api.fetch(`devices/not-a-uuid/syncthing`, { method: 'PUT', token: team.tokens.owner, body: '{"deviceId":null}' });
    expect(bad.status).toBe(400);
    const registeredWrong = await call('owner', 'POST', 'register', {
      projectId: team.projectId,
      deviceId: crypto.randomUUID(),
      deviceName: 'wrong check',
      publicKey: (await newDeviceKey()).publicKeyPem,
      syncthingDeviceId: singleSubstitutions(freshSyncthingId())[3],
    });
    expect(registeredWrong).toMatchObject({ status: 400, code: 'validation_failed' });
  });
});

describe('GET /peers/:deviceId', () => {
  let self: { deviceId: string; ip: string };
  let selfId: string;
  let peer: { deviceId: string; ip: string };
  let peerId: string;
  let lighthouse: { deviceId: string; ip: string };

  beforeAll(async () => {
    selfId = freshSyncthingId();
    peerId = freshSyncthingId();
    self = await register('owner', { syncthingDeviceId: selfId, name: 'self' });
    peer = await register('member', { syncthingDeviceId: peerId, name: 'peer' });
    lighthouse = await register('admin', { lighthouse: true, name: 'lighthouse' });
  });

  const listOf = async (actor: Actor = 'owner') => {
    const result = await call(actor, 'GET', `peers/${self.deviceId}`);
    expect(result.status).toBe(200);
    return { list: result.json as unknown as PeerList, etag: result.etag! };
  };
  const peerIn = (list: PeerList, deviceId: string) => list.peers.find((p) => p.deviceId === deviceId);

  it("lists the project's other live devices with what Syncthing needs, not the device itself", async () => {
    const { list } = await listOf();
    expect(list).toMatchObject({ deviceId: self.deviceId, projectId: team.projectId, ip: self.ip, syncthingDeviceId: selfId });
    // The project's subnet, the one its devices' addresses come from.
    expect(prefixWithin(parseCidr(`${self.ip}/32`), parseCidr(list.subnet))).toBe(true);
    expect(peerIn(list, self.deviceId)).toBeUndefined();
    expect(peerIn(list, peer.deviceId)).toEqual({ deviceId: peer.deviceId, name: 'peer', ip: peer.ip, syncthingDeviceId: peerId, isLighthouse: false, online: true });
    expect(peerIn(list, lighthouse.deviceId)).toMatchObject({ ip: lighthouse.ip, syncthingDeviceId: null, isLighthouse: true });
  });

  it('answers each caller as the matrix says', async () => {
    const EXPECT: Record<Actor, number> = { anon: 401, nonMember: 404, member: 200, admin: 200, owner: 200, service: 200 };
    for (const actor of ACTORS) expect({ actor, status: (await call(actor, 'GET', `peers/${self.deviceId}`)).status }).toEqual({ actor, status: EXPECT[actor] });
  });

  it('answers 304 to the same ETag, and a new ETag once a peer changes', async () => {
    const first = await listOf();
    expect(first.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const again = await call('owner', 'GET', `peers/${self.deviceId}`, undefined, { 'if-none-match': first.etag });
    expect(again.status).toBe(304);
    expect(again.etag).toBe(first.etag);
    expect((await call('owner', 'GET', `peers/${self.deviceId}`, undefined, { 'if-none-match': `W/${first.etag}, "other"` })).status).toBe(304);
    expect((await call('owner', 'GET', `peers/${self.deviceId}`, undefined, { 'if-none-match': '"other"' })).status).toBe(200);

    const newId = freshSyncthingId();
    expect((await call('member', 'PUT', `devices/${peer.deviceId}/syncthing`, { deviceId: newId })).status).toBe(200);
    const changed = await call('owner', 'GET', `peers/${self.deviceId}`, undefined, { 'if-none-match': first.etag });
    expect(changed.status).toBe(200);
    expect(changed.etag).not.toBe(first.etag);
    expect(peerIn(changed.json as unknown as PeerList, peer.deviceId)?.syncthingDeviceId).toBe(newId);
    peerId = newId;
  });

  it('says online from the last sighting (two heartbeat intervals), and a heartbeat alone does not change the ETag', async () => {
    await api.sql`update vidsync.devices set last_seen_at = now() - interval '5 minutes' where id = ${peer.deviceId}`;
    const stale = await listOf();
    expect(peerIn(stale.list, peer.deviceId)?.online).toBe(false);
    await api.sql`update vidsync.devices set last_seen_at = now() - interval '10 seconds' where id = ${peer.deviceId}`;
    const fresh = await listOf();
    expect(peerIn(fresh.list, peer.deviceId)?.online).toBe(true);
    await api.sql`update vidsync.devices set last_seen_at = now() where id = ${peer.deviceId}`;
    expect((await listOf()).etag).toBe(fresh.etag);
  });

  it.each([
    { gone: 'released', by: 'member', route: 'release', answer: { status: 404, code: 'not_found' } },
    { gone: 'revoked', by: 'owner', route: 'revoke', answer: { status: 410, code: 'device_revoked' } },
  ] as const)('leaves out $gone devices, and answers a $gone device $answer.status $answer.code', async ({ gone, by, route, answer }) => {
    const device = await register('member', { syncthingDeviceId: freshSyncthingId(), name: gone });
    expect(peerIn((await listOf()).list, device.deviceId)).toBeDefined();
    expect((await call(by, 'POST', `${route}/${device.deviceId}`)).status).toBe(200);
    expect(peerIn((await listOf()).list, device.deviceId)).toBeUndefined();
    expect(await call('member', 'GET', `peers/${device.deviceId}`)).toMatchObject(answer);
  });

  it('does not reach across projects', async () => {
    const other = await createProject(api.client(team.tokens.owner), 'Other peers');
    const key = await newDeviceKey();
    const elsewhere = crypto.randomUUID();
    await call('owner', 'POST', 'register', { projectId: other.projectId, deviceId: elsewhere, deviceName: 'elsewhere', publicKey: key.publicKeyPem, syncthingDeviceId: selfId });
    expect(peerIn((await listOf()).list, elsewhere)).toBeUndefined();
  });
});

describe('the SDK', () => {
  it('sets the Syncthing device ID, refuses a wrong one before sending, and polls peers with the ETag', async () => {
    const owner = new NebulaClient({ supabase: api.client(team.tokens.owner), baseDir: join(workDir.path, 'owner') });
    const member = new NebulaClient({ supabase: api.client(team.tokens.member), baseDir: join(workDir.path, 'member') });
    const a = await owner.register({ projectId: team.projectId, deviceName: 'sdk a' });
    const b = await member.register({ projectId: team.projectId, deviceName: 'sdk b' });
    const id = freshSyncthingId();
    await member.setSyncthingDeviceId(team.projectId, id);
    await expect(member.setSyncthingDeviceId(team.projectId, singleSubstitutions(id)[0]!)).rejects.toSatisfy((e) => isVidsyncError(e, 'validation_failed'));

    const first = await owner.peers(team.projectId);
    if (!first.changed) throw new Error('the first poll has no ETag to match');
    expect(first.list.peers.find((p) => p.deviceId === b.deviceId)).toMatchObject({ ip: b.ip, syncthingDeviceId: id });
    expect(first.list.ip).toBe(a.ip);
    expect(await owner.peers(team.projectId, { etag: first.etag })).toEqual({ changed: false, etag: first.etag });

    await member.release(team.projectId);
    const after = await owner.peers(team.projectId, { etag: first.etag });
    expect(after.changed).toBe(true);
    if (after.changed) expect(after.list.peers.find((p) => p.deviceId === b.deviceId)).toBeUndefined();
    await expect(member.peers(team.projectId)).rejects.toSatisfy((e) => isVidsyncError(e, 'not_found'));
  });
});

describe("the device's own credential (a request signed with its API key)", () => {
  async function withCredential(actor: Actor) {
    const device = await register(actor);
    const key = await generateEd25519KeyPair();
    expect((await call(actor, 'POST', `credential/${device.deviceId}`, { apiKey: bytesToBase64(key.publicKey) })).status).toBe(200);
    return { ...device, privateKey: key.privateKey };
  }
  async function signed(signer: { deviceId: string; privateKey: Uint8Array }, method: 'GET' | 'PUT', path: string, body?: unknown) {
    const bytes = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
    const authorization = await signDeviceRequest({ deviceId: signer.deviceId, privateKey: signer.privateKey }, { method, pathAndQuery: `/nebula/${path}`, body: bytes });
    const res = await api.fetch(path, { method, headers: { authorization, ...(bytes ? { 'content-type': 'application/json' } : {}) }, body: bytes });
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown> & { error?: { code: string } };
    return { status: res.status, code: json.error?.code, json };
  }

  it('reads its peers and sets its Syncthing device ID, for itself only', async () => {
    const me = await withCredential('member');
    const other = await register('owner', { syncthingDeviceId: freshSyncthingId(), name: 'other' });
    const peers = await signed(me, 'GET', `peers/${me.deviceId}`);
    expect(peers.status).toBe(200);
    expect((peers.json as unknown as PeerList).peers.map((p) => p.deviceId)).toContain(other.deviceId);
    const id = freshSyncthingId();
    expect((await signed(me, 'PUT', `devices/${me.deviceId}/syncthing`, { deviceId: id })).status).toBe(200);
    expect(await storedId(me.deviceId)).toBe(id);
    expect(await signed(me, 'GET', `peers/${other.deviceId}`)).toMatchObject({ status: 403, code: 'device_mismatch' });
    expect(await signed(me, 'PUT', `devices/${other.deviceId}/syncthing`, { deviceId: freshSyncthingId() })).toMatchObject({ status: 403, code: 'device_mismatch' });
  });

  it('is refused once the device is released', async () => {
    const me = await withCredential('member');
    expect((await call('member', 'POST', `release/${me.deviceId}`)).status).toBe(200);
    expect(await signed(me, 'GET', `peers/${me.deviceId}`)).toMatchObject({ status: 403, code: 'credential_revoked' });
  });
});
