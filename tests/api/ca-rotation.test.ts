// CA rotation and retirement through HTTP: POST /ca/:id/rotate and
// DELETE /ca/:id/:fingerprint as owner, admin, member (403), non-member and
// removed member (404, as for a project that does not exist), the anon key and
// a device's signature (401) and the service role; after a rotation new certificates come from the new CA while both are
// trusted; the old CA leaves the trust set when no device's current
// certificate needs it, at the owner's date, or when retired (409 ca_in_use
// for the signing CA, 404 for an unknown one); GET /ca, every bundle's ca.crt
// and nebula.yml's `vidsync.ca` (what agents poll) always agree.
// Real Deno, real Postgres.
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { unzipBundle } from '../../supabase/functions/_shared/bundle/index.ts';
import { signDeviceRequest } from '../../supabase/functions/_shared/auth/device-signature.ts';
import { bytesToBase64 } from '../../supabase/functions/_shared/base64.ts';
import { createCertificateAuthority, generateEd25519KeyPair, verifyCertificate } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { isVidsyncError, retireCa, rotateCa } from '../../client/src/browser.ts';
import { useApi } from '../support/api.ts';
import { actorTokens, addMember, callWith, createTeamProject, newDeviceKey } from './helpers.ts';
import type { Actor, TeamUsers } from './helpers.ts';

const api = useApi();
let tokens: Record<Actor, string>;
let users: TeamUsers;
let subnetIndex = 0;

async function newProject(): Promise<string> {
  return (await createTeamProject(api, { tokens, users }, `Rotation ${++subnetIndex}`, `10.${150 + subnetIndex}.0.0/24`)).projectId;
}

interface TrustedCaJson {
  fingerprint: string;
  signing: boolean;
  certificate: string;
}

const rotate = (token: string, projectId: string, body?: unknown) => callWith(api, token, 'POST', `ca/${projectId}/rotate`, body);
const retire = (token: string, projectId: string, fp: string) => callWith(api, token, 'DELETE', `ca/${projectId}/${fp}`);

async function trusted(projectId: string): Promise<{ signing: string; fingerprints: string[]; pem: string }> {
  const res = await callWith(api, tokens.member, 'GET', `ca/${projectId}`);
  expect(res.status).toBe(200);
  const certificates = res.json.certificates as TrustedCaJson[];
  return { signing: res.json.signing as string, fingerprints: certificates.map((c) => c.fingerprint), pem: res.json.pem as string };
}

interface Registered {
  deviceId: string;
  fingerprint: string;
  caCrt: string;
  nodeCrt: string;
  /** nebula.yml's `vidsync.ca`, when the bundle's config names the trusted CAs. */
  trust?: { signing: string; trusted: string[] };
}

function fromBundle(deviceId: string, json: Record<string, unknown>): Registered {
  const files = unzipBundle(Uint8Array.from(Buffer.from(json.bundle as string, 'base64')));
  const text = (name: string) => new TextDecoder().decode(files[name]!);
  const config = YAML.parse(text('nebula.yml')) as { vidsync?: { ca: { signing: string; trusted: string[] } } };
  return { deviceId, fingerprint: json.fingerprint as string, caCrt: text('ca.crt'), nodeCrt: text('node.crt'), trust: config.vidsync?.ca };
}

async function register(projectId: string, name: string): Promise<Registered> {
  const key = await newDeviceKey();
  const deviceId = crypto.randomUUID();
  const res = await callWith(api, tokens.member, 'POST', 'register', { projectId, deviceId, deviceName: name, publicKey: key.publicKeyPem });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return fromBundle(deviceId, res.json);
}

async function renew(deviceId: string): Promise<Registered> {
  const res = await callWith(api, tokens.member, 'POST', `renew/${deviceId}`);
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return fromBundle(deviceId, res.json);
}

/** The CA that signed a device certificate, verified against a bundle's ca.crt (signature, validity, constraints). */
async function issuerOf(nodeCrt: string, caPems: string): Promise<string> {
  return (await verifyCertificate(nodeCrt, { cas: caPems })).caFingerprint;
}

async function configTrust(deviceId: string): Promise<{ trust: { signing: string; trusted: string[] }; etag: string | null }> {
  const res = await api.fetch(`config/${deviceId}`, { method: 'GET', token: tokens.member });
  expect(res.status).toBe(200);
  const yaml = YAML.parse(await res.text()) as { vidsync: { ca: { signing: string; trusted: string[] } } };
  return { trust: yaml.vidsync.ca, etag: res.headers.get('etag') };
}

beforeAll(async () => {
  ({ tokens, users } = await actorTokens(api, 'ca-rotation'));
});

describe('who may rotate and retire', () => {
  it('POST /ca/:id/rotate: owner, admin and the service role 201; member 403, non-member 404, anon 401', async () => {
    const projectId = await newProject();
    const expected: Record<Actor, number> = { owner: 201, admin: 201, service: 201, member: 403, nonMember: 404, anon: 401 };
    for (const actor of Object.keys(expected) as Actor[]) {
      const before = await trusted(projectId);
      const res = await rotate(tokens[actor], projectId);
      expect(res.status, actor).toBe(expected[actor]);
      const after = await trusted(projectId);
      if (res.status !== 201) {
        expect(after, actor).toEqual(before);
        continue;
      }
      expect(res.json).toMatchObject({ projectId, fingerprint: after.signing, notAfter: expect.any(String), certificate: expect.stringContaining('NEBULA CERTIFICATE') });
      expect(res.json.fingerprint).not.toBe(before.signing);
      expect((res.json.trusted as TrustedCaJson[]).map((c) => c.fingerprint)).toEqual(after.fingerprints);
    }
    // An unknown project looks like one the caller cannot see.
    expect((await rotate(tokens.owner, crypto.randomUUID())).status).toBe(404);
  });

  it('DELETE /ca/:id/:fingerprint: owner, admin and the service role 200; member 403, non-member 404, anon 401', async () => {
    const projectId = await newProject();
    const expected: Record<Actor, number> = { member: 403, nonMember: 404, anon: 401, owner: 200, admin: 200, service: 200 };
    for (const actor of Object.keys(expected) as Actor[]) {
      const old = (await trusted(projectId)).signing;
      await register(projectId, `on ${actor}'s old CA`);
      expect((await rotate(tokens.owner, projectId)).status).toBe(201);
      expect((await trusted(projectId)).fingerprints, actor).toContain(old);
      const res = await retire(tokens[actor], projectId, old);
      expect(res.status, actor).toBe(expected[actor]);
      if (res.status === 200) {
        expect(res.json).toMatchObject({ projectId, fingerprint: old, retiredAt: expect.any(String) });
        expect((await trusted(projectId)).fingerprints, actor).not.toContain(old);
      } else {
        expect((await trusted(projectId)).fingerprints, actor).toContain(old);
      }
    }
  });

  it('a removed member gets 404 and a device signature 401 on both routes, and nothing changes', async () => {
    const projectId = await newProject();
    const leaver = await api.user('ca-rotation-leaver');
    await addMember(api.sql, projectId, leaver.id, 'admin');
    const d = await register(projectId, 'signs for itself');
    const apiKey = await generateEd25519KeyPair();
    expect((await callWith(api, tokens.member, 'POST', `credential/${d.deviceId}`, { apiKey: bytesToBase64(apiKey.publicKey) })).status).toBe(200);
    await rotate(tokens.owner, projectId);
    const before = await trusted(projectId);
    const old = before.fingerprints[1]!;
    expect((await callWith(api, tokens.owner, 'DELETE', `projects/${projectId}/members/${leaver.id}`)).status).toBe(200);
    expect((await rotate(leaver.accessToken, projectId)).status).toBe(404);
    expect((await retire(leaver.accessToken, projectId, old)).status).toBe(404);
    for (const [method, path] of [['POST', `ca/${projectId}/rotate`], ['DELETE', `ca/${projectId}/${old}`]] as const) {
      const res = await api.fetch(path, {
        method,
        headers: { authorization: await signDeviceRequest({ deviceId: d.deviceId, privateKey: apiKey.privateKey }, { method, pathAndQuery: `/nebula/${path}` }) },
      });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    expect(await trusted(projectId)).toEqual(before);
  });

  it('refuses to retire the signing CA (409 ca_in_use), an unknown or another project\'s CA (404), a malformed fingerprint (400); retiring twice is idempotent', async () => {
    const projectId = await newProject();
    const other = await newProject();
    const signing = (await trusted(projectId)).signing;
    expect(await retire(tokens.owner, projectId, signing)).toMatchObject({ status: 409, code: 'ca_in_use' });
    expect(await retire(tokens.service, projectId, signing)).toMatchObject({ status: 409, code: 'ca_in_use' });
    expect(await retire(tokens.owner, projectId, 'ab'.repeat(32))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await retire(tokens.owner, projectId, (await trusted(other)).signing)).toMatchObject({ status: 404, code: 'not_found' });
    expect(await retire(tokens.owner, projectId, 'AB'.repeat(32))).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(await retire(tokens.owner, projectId, 'not-a-fingerprint')).toMatchObject({ status: 400, code: 'validation_failed' });
    expect((await trusted(projectId)).signing).toBe(signing);

    await register(projectId, 'keeps the old CA');
    await rotate(tokens.owner, projectId);
    const first = await retire(tokens.owner, projectId, signing);
    const again = await retire(tokens.admin, projectId, signing);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.json.retiredAt).toBe(first.json.retiredAt);
  });

  it('refuses a bad rotation body (400 validation_failed) and leaves the CAs as they were', async () => {
    const projectId = await newProject();
    const before = await trusted(projectId);
    for (const body of [{ retireOldAt: 'tomorrow' }, { retireOldAt: '2020-01-01T00:00:00Z' }, { retireOldAt: '2999-01-01T00:00:00Z' }, { retireOldAt: 5 }, { other: 1 }]) {
      expect(await rotate(tokens.owner, projectId, body), JSON.stringify(body)).toMatchObject({ status: 400, code: 'validation_failed' });
    }
    expect(await trusted(projectId)).toEqual(before);
  });
});

describe('GET /config/:deviceId/ca', () => {
  it('is GET /ca\'s PEM for the device\'s project: members, the service role and the device itself (signed); non-member 404, anon 401; ETag / 304', async () => {
    const projectId = await newProject();
    const d = await register(projectId, 'headless');
    const pem = (await trusted(projectId)).pem;
    const expected: Record<Actor, number> = { owner: 200, admin: 200, member: 200, service: 200, nonMember: 404, anon: 401 };
    for (const actor of Object.keys(expected) as Actor[]) {
      const res = await api.fetch(`config/${d.deviceId}/ca`, { method: 'GET', token: tokens[actor] });
      expect(res.status, actor).toBe(expected[actor]);
      if (res.status === 200) expect(await res.text(), actor).toBe(pem);
      else await res.body?.cancel();
    }
    // The device, with its own key and no user session, as a headless agent asks.
    const apiKey = await generateEd25519KeyPair();
    expect((await callWith(api, tokens.member, 'POST', `credential/${d.deviceId}`, { apiKey: bytesToBase64(apiKey.publicKey) })).status).toBe(200);
    const signedGet = async (path: string, etag?: string) =>
      api.fetch(path, {
        method: 'GET',
        headers: {
          authorization: await signDeviceRequest({ deviceId: d.deviceId, privateKey: apiKey.privateKey }, { method: 'GET', pathAndQuery: `/nebula/${path}` }),
          ...(etag ? { 'if-none-match': etag } : {}),
        },
      });
    const first = await signedGet(`config/${d.deviceId}/ca`);
    expect(first.status).toBe(200);
    expect(await first.text()).toBe(pem);
    const etag = first.headers.get('etag')!;
    expect((await signedGet(`config/${d.deviceId}/ca`, etag)).status).toBe(304);
    // Another project's GET /ca stays closed to a device signature.
    expect((await signedGet(`ca/${projectId}`)).status).toBe(401);
    await rotate(tokens.owner, projectId);
    const after = await signedGet(`config/${d.deviceId}/ca`, etag);
    expect(after.status).toBe(200);
    expect(await after.text()).toBe((await trusted(projectId)).pem);
  });
});

describe('a rotation', () => {
  it('signs new certificates with the new CA, trusts both while a device needs the old one, and drops the old one once every device renewed', async () => {
    const projectId = await newProject();
    const oldCa = (await trusted(projectId)).signing;
    const a = await register(projectId, 'A');
    const b = await register(projectId, 'B');
    const polled = await configTrust(a.deviceId);
    expect(polled.trust).toEqual({ signing: oldCa, trusted: [oldCa] });

    const rotated = await rotate(tokens.owner, projectId);
    const newCa = rotated.json.fingerprint as string;
    expect((rotated.json.trusted as TrustedCaJson[]).map((c) => [c.fingerprint, c.signing])).toEqual([
      [newCa, true],
      [oldCa, false],
    ]);

    // What agents poll changed: nebula.yml names both CAs and the new signing one, so its ETag differs.
    const after = await configTrust(a.deviceId);
    expect(after.trust).toEqual({ signing: newCa, trusted: [newCa, oldCa] });
    expect(after.etag).not.toBe(polled.etag);

    // A new device and a renewal (at once: no retry window across a rotation) get certificates of the new CA,
    // in bundles whose ca.crt is exactly GET /ca's PEM.
    const c = await register(projectId, 'C');
    const aRenewed = await renew(a.deviceId);
    for (const device of [c, aRenewed]) {
      const ca = await trusted(projectId);
      expect(device.caCrt).toBe(ca.pem);
      expect(await issuerOf(device.nodeCrt, device.caCrt)).toBe(newCa);
    }
    // A renewal's nebula.yml is the config agents poll, trust included.
    expect(aRenewed.trust).toEqual({ signing: newCa, trusted: [newCa, oldCa] });
    expect(aRenewed.fingerprint).not.toBe(a.fingerprint);

    // B still runs a certificate of the old CA: it stays trusted.
    expect((await trusted(projectId)).fingerprints).toEqual([newCa, oldCa]);
    // Once B renews too, no device's current certificate needs the old CA: it leaves GET /ca, bundles and configs.
    const bRenewed = await renew(b.deviceId);
    expect(await issuerOf(bRenewed.nodeCrt, bRenewed.caCrt)).toBe(newCa);
    expect(await trusted(projectId)).toMatchObject({ signing: newCa, fingerprints: [newCa] });
    expect((await configTrust(b.deviceId)).trust).toEqual({ signing: newCa, trusted: [newCa] });
    expect((await renew(c.deviceId)).caCrt).toBe((await trusted(projectId)).pem);
  });

  it('with retireOldAt, the old CA leaves at that date even while a device still needs it; retiring it explicitly takes it out at once', async () => {
    const projectId = await newProject();
    const oldCa = (await trusted(projectId)).signing;
    const stays = await register(projectId, 'stays on the old CA');
    const at = new Date(Date.now() + 7 * 86_400_000).toISOString();
    expect((await rotate(tokens.admin, projectId, { retireOldAt: at })).status).toBe(201);
    expect((await trusted(projectId)).fingerprints).toContain(oldCa);
    const [row] = await api.sql<{ retire_at: Date }[]>`select retire_at from vidsync.project_cas where fingerprint = ${oldCa}`;
    expect(row!.retire_at.toISOString()).toBe(at);
    // The date comes.
    await api.sql`update vidsync.project_cas set retire_at = now() - interval '1 second' where fingerprint = ${oldCa}`;
    expect((await trusted(projectId)).fingerprints).not.toContain(oldCa);
    expect((await configTrust(stays.deviceId)).trust.trusted).not.toContain(oldCa);

    // Explicitly: a device's CA retired; the device renews onto the signing CA.
    const next = await newProject();
    const nextOld = (await trusted(next)).signing;
    const device = await register(next, 'on a CA about to be retired');
    await rotate(tokens.owner, next);
    expect((await trusted(next)).fingerprints).toContain(nextOld);
    expect((await retire(tokens.owner, next, nextOld)).status).toBe(200);
    const ca = await trusted(next);
    expect(ca.fingerprints).toEqual([ca.signing]);
    const renewed = await renew(device.deviceId);
    expect(await issuerOf(renewed.nodeCrt, renewed.caCrt)).toBe(ca.signing);
  });

  it('a pinned address is signed by the new CA too; an imported CA, superseded, is retired like any other', async () => {
    const projectId = await newProject();
    const subnet = `10.${150 + subnetIndex}.0.0/24`;
    const device = await register(projectId, 'to be pinned');
    const rotated = await rotate(tokens.owner, projectId);
    const pinned = await callWith(api, tokens.owner, 'POST', `devices/${device.deviceId}/address`, { ip: subnet.replace('0.0/24', '0.77') });
    expect(pinned.status, JSON.stringify(pinned.json)).toBe(200);
    const bundle = fromBundle(device.deviceId, pinned.json);
    expect(await issuerOf(bundle.nodeCrt, bundle.caCrt)).toBe(rotated.json.fingerprint);

    const ca = await createCertificateAuthority({ name: 'brought along', ips: [subnet] });
    const imported = await callWith(api, tokens.admin, 'POST', `ca/${projectId}/import`, { caCertificate: ca.certificatePem, caKey: ca.privateKeyPem });
    expect(imported.status).toBe(201);
    await register(projectId, 'on the imported CA');
    await rotate(tokens.owner, projectId);
    expect((await trusted(projectId)).fingerprints).toContain(imported.json.fingerprint);
    expect((await retire(tokens.admin, projectId, imported.json.fingerprint as string)).status).toBe(200);
    expect((await trusted(projectId)).fingerprints).not.toContain(imported.json.fingerprint);
  });

  it('rotations with no device in between leave only the newest CA trusted: rotating never runs into too_many_cas', async () => {
    const projectId = await newProject();
    const original = (await trusted(projectId)).signing;
    // The CAs nobody used leave at once.
    for (let i = 0; i < 10; i++) expect((await rotate(tokens.owner, projectId)).status).toBe(201);
    const ca = await trusted(projectId);
    expect(ca.fingerprints).toEqual([ca.signing]);
    expect(ca.fingerprints).not.toContain(original);
    const [count] = await api.sql<{ n: number }[]>`select count(*)::int as n from vidsync.project_cas where project_id = ${projectId}`;
    expect(count!.n).toBe(11);
  });
});

describe('the SDK (client/src/ca-admin.ts, browser-safe)', () => {
  it('rotateCa and retireCa answer as the routes do; refusals are VidsyncErrors with the route\'s code', async () => {
    const projectId = await newProject();
    const owner = api.client(tokens.owner);
    const old = (await trusted(projectId)).signing;
    await register(projectId, 'on the first CA');
    const rotated = await rotateCa(owner, projectId, { retireOldAt: new Date(Date.now() + 86_400_000) });
    expect(rotated.trusted.map((c) => [c.fingerprint, c.signing])).toEqual([
      [rotated.fingerprint, true],
      [old, false],
    ]);
    const refused = await retireCa(owner, projectId, rotated.fingerprint).catch((e: unknown) => e);
    expect(isVidsyncError(refused, 'ca_in_use')).toBe(true);
    const memberRefused = await rotateCa(api.client(tokens.member), projectId).catch((e: unknown) => e);
    expect(isVidsyncError(memberRefused, 'forbidden')).toBe(true);
    const retired = await retireCa(api.client(tokens.admin), projectId, old);
    expect(retired).toMatchObject({ projectId, fingerprint: old, retiredAt: expect.any(String) });
    expect(retired.trusted.map((c) => c.fingerprint)).toEqual([rotated.fingerprint]);
  });
});
