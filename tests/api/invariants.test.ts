// Invariants that only the SQL-level or root-only suites used to catch, now
// asserted at the API, each found by breaking the guarding code on purpose:
//   - a certificate never outlives min(host lifetime, IP cooling) nor its CA;
//   - a bundle trusts exactly its project's CAs (what GET /ca returns);
//   - a member cannot take over another member's device by its id;
//   - a non-member learns nothing about a project's devices through any route
//     (404, as for an id that does not exist), nor whether a device id is in
//     use elsewhere, and no answer names a constraint;
//   - a token signed by the right key with the wrong `iss` is refused.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLocalIssuer } from '../../scripts/local-functions/local-issuer.ts';
import { unzipBundle } from '../../supabase/functions/_shared/bundle/index.ts';
import { base64ToBytes } from '../../supabase/functions/_shared/base64.ts';
import { createCertificateAuthority, parseCertificatePem } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { loadDevSecrets } from '../../scripts/local-functions/secrets.ts';
import type { RegisterResponse } from '../../client/src/index.ts';
import { useApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import type { LocalUser } from '../../scripts/local-functions/start.ts';
import { DOCS_EXAMPLE_ID } from '../support/syncthing-ids.ts';
import { addMember, createProject, newDeviceKey } from './helpers.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

interface Registered {
  status: number;
  body: RegisterResponse & { error?: { code: string } };
}

async function register(api: ApiHarness, token: string, projectId: string, deviceId: string = crypto.randomUUID(), name = `device ${deviceId.slice(0, 8)}`): Promise<Registered> {
  const key = await newDeviceKey();
  const res = await api.fetch('register', {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ projectId, deviceId, deviceName: name, publicKey: key.publicKeyPem }),
  });
  return { status: res.status, body: (await res.json()) as Registered['body'] };
}

/** Imports a CA into a project through the API; returns the HTTP status. */
async function importCa(api: ApiHarness, token: string, projectId: string, ca: { certificatePem: string; privateKeyPem: string }): Promise<number> {
  const res = await api.fetch(`ca/${projectId}/import`, {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ caCertificate: ca.certificatePem, caKey: ca.privateKeyPem }),
  });
  await res.body?.cancel();
  return res.status;
}

function bundleFile(bundle: string, name: string): string {
  const file = unzipBundle(base64ToBytes(bundle)!)[name];
  if (!file) throw new Error(`the bundle has no ${name}`);
  return new TextDecoder().decode(file);
}

/** notAfter as the certificate itself says, and as the API announced. */
function notAfterOf(reg: Registered): { certificate: Date; announced: Date } {
  const cert = parseCertificatePem(bundleFile(reg.body.bundle, 'node.crt'));
  return { certificate: cert.details.notAfter, announced: new Date(reg.body.notAfter) };
}

/**
 * Registers a device in a new project of `owner` and checks the lifetime of
 * its certificate: as announced, at most `upTo` from the request (a second
 * of slack) and more than `over`.
 */
async function registerAndCheckLifetime(api: ApiHarness, owner: LocalUser, projectName: string, lifetime: { upTo: number; over: number }) {
  const project = await createProject(api.client(owner.accessToken), projectName);
  const before = Date.now();
  const reg = await register(api, owner.accessToken, project.projectId);
  expect(reg.status).toBe(200);
  const { certificate, announced } = notAfterOf(reg);
  expect(announced.getTime()).toBe(certificate.getTime());
  expect(certificate.getTime()).toBeLessThanOrEqual(before + lifetime.upTo + 1000);
  expect(certificate.getTime()).toBeGreaterThan(before + lifetime.over);
  return { project, reg, certificate };
}

describe('on the shared database (default settings: 7-day certificates, 7-day cooling)', () => {
  const api = useApi();
  let owner: LocalUser;

  beforeAll(async () => {
    owner = await api.user('invariants-owner');
  });

  it("a certificate's notAfter is at most now + 7 days and never past its CA's", async () => {
    const { project, certificate } = await registerAndCheckLifetime(api, owner, 'Lifetime', { upTo: 7 * DAY, over: 6 * DAY });
    expect(certificate.getTime()).toBeLessThanOrEqual(new Date(project.ca.notAfter).getTime());
  });

  it('a CA that expires in two days caps the certificates it signs', async () => {
    const project = await createProject(api.client(owner.accessToken), 'Short CA');
    const soon = await createCertificateAuthority({ name: 'expires soon', ips: [project.subnet], durationSeconds: 2 * 24 * 3600 });
    expect(await importCa(api, owner.accessToken, project.projectId, soon)).toBe(201);
    const reg = await register(api, owner.accessToken, project.projectId);
    expect(reg.status).toBe(200);
    const { certificate } = notAfterOf(reg);
    expect(certificate.getTime()).toBeLessThanOrEqual(soon.details.notAfter.getTime());
    expect(certificate.getTime()).toBeGreaterThan(Date.now() + DAY);
  });

  it("the bundle's ca.crt is exactly what GET /ca/:projectId returns, with several CAs and other projects around", async () => {
    const project = await createProject(api.client(owner.accessToken), 'Trust');
    await createProject(api.client(owner.accessToken), 'Another project, another CA');
    const second = await createCertificateAuthority({ name: 'second', ips: [project.subnet] });
    expect(await importCa(api, owner.accessToken, project.projectId, second)).toBe(201);
    const reg = await register(api, owner.accessToken, project.projectId);
    const ca = (await (await api.fetch(`ca/${project.projectId}`, { token: owner.accessToken })).json()) as { pem: string; certificates: unknown[] };
    expect(ca.certificates).toHaveLength(2);
    expect(bundleFile(reg.body.bundle, 'ca.crt')).toBe(ca.pem);
  });

  it("a member cannot re-register another member's device by its id: refused, and the device keeps its IP and certificate", async () => {
    const project = await createProject(api.client(owner.accessToken), 'Shared');
    const [bob, mallory] = [await api.user('bob'), await api.user('mallory')];
    await addMember(api.sql, project.projectId, bob.id, 'member');
    await addMember(api.sql, project.projectId, mallory.id, 'member');
    const bobs = await register(api, bob.accessToken, project.projectId, undefined, 'bob laptop');
    expect(bobs.status).toBe(200);
    const [before] = await api.sql`select owner_id, host(overlay_ip) as ip, name from vidsync.devices where id = ${bobs.body.deviceId}`;

    const hijack = await register(api, mallory.accessToken, project.projectId, bobs.body.deviceId, 'mallory took it');
    // Refused as forbidden: mallory, a member, sees bob's device but may not touch it.
    expect({ status: hijack.status, code: hijack.body.error?.code }).toEqual({ status: 403, code: 'forbidden' });
    expect(hijack.body.bundle).toBeUndefined();

    const [after] = await api.sql`select owner_id, host(overlay_ip) as ip, name from vidsync.devices where id = ${bobs.body.deviceId}`;
    expect(after).toEqual(before);
    const certificates = await api.sql`select fingerprint from vidsync.issued_certificates where device_id = ${bobs.body.deviceId}`;
    expect(certificates.map((c) => c.fingerprint)).toEqual([bobs.body.fingerprint]);
  });

  it("a non-member reads nothing of a project's devices through any route", async () => {
    const project = await createProject(api.client(owner.accessToken), 'Private');
    const device = await register(api, owner.accessToken, project.projectId, undefined, 'owner desktop');
    const outsider = await api.user('outsider');
    const id = device.body.deviceId;
    const routes: Array<[string, string]> = [
      ['GET', `status/${id}`],
      ['GET', `config/${id}`],
      ['GET', `ca/${project.projectId}`],
      ['POST', `release/${id}`],
    ];
    for (const [method, path] of routes) {
      const res = await api.fetch(path, { method, token: outsider.accessToken });
      const text = await res.text();
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(text).not.toContain(device.body.ip);
      expect(text).not.toContain('owner desktop');
      expect(text).not.toContain(device.body.fingerprint);
    }
    const join = await register(api, outsider.accessToken, project.projectId);
    expect({ status: join.status, code: join.body.error?.code }).toEqual({ status: 404, code: 'not_found' });
    // Nothing was released or changed by the attempts.
    const [row] = await api.sql`select host(overlay_ip) as ip from vidsync.devices where id = ${id}`;
    expect(row?.ip).toBe(device.body.ip);
  });

  it('a device id in use in a project the caller cannot see is 404 not_found, as an unknown project is, naming nothing internal', async () => {
    const theirs = await createProject(api.client(owner.accessToken), 'Theirs');
    const victim = await register(api, owner.accessToken, theirs.projectId, undefined, 'victim laptop');
    expect(victim.status).toBe(200);
    const squatter = await api.user('squatter');
    const mine = await createProject(api.client(squatter.accessToken), 'Mine');

    const squat = await register(api, squatter.accessToken, mine.projectId, victim.body.deviceId);
    const unknownProject = await register(api, squatter.accessToken, crypto.randomUUID());
    for (const answer of [squat, unknownProject]) {
      expect({ status: answer.status, code: answer.body.error?.code }).toEqual({ status: 404, code: 'not_found' });
      const text = JSON.stringify(answer.body);
      expect(text).not.toContain(theirs.projectId);
      expect(text).not.toMatch(/constraint|unique|pkey|another project|another user/i);
    }
  });

  it('a conflict never names a constraint or a key (409 with a plain message)', async () => {
    const project = await createProject(api.client(owner.accessToken), 'One Syncthing ID');
    const registerWith = async (name: string) => {
      const key = await newDeviceKey();
      const res = await api.fetch('register', {
        method: 'POST',
        token: owner.accessToken,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ projectId: project.projectId, deviceId: crypto.randomUUID(), deviceName: name, publicKey: key.publicKeyPem, syncthingDeviceId: DOCS_EXAMPLE_ID }),
      });
      return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string; details?: unknown } } };
    };
    expect((await registerWith('first')).status).toBe(200);
    const second = await registerWith('second');
    expect({ status: second.status, code: second.body.error?.code }).toEqual({ status: 409, code: 'conflict' });
    expect(JSON.stringify(second.body)).not.toMatch(/constraint|unique|index|devices_|syncthing_device_id|Key \(/i);
  });

  it('refuses a token signed by the right key with a wrong issuer (401)', async () => {
    const secrets = await loadDevSecrets(api.stateDir);
    const realIssuer = `${api.functions.supabaseUrl}/auth/v1`;
    const right = await loadLocalIssuer(secrets.issuerPrivateJwk, realIssuer);
    const wrong = await loadLocalIssuer(secrets.issuerPrivateJwk, 'https://evil.example/auth/v1');
    const project = await createProject(api.client(owner.accessToken), 'Issuer');
    // The same key and claims pass with the right issuer: only `iss` differs.
    const ok = await api.fetch(`ca/${project.projectId}`, { token: await right.mint({ sub: owner.id }) });
    expect(ok.status).toBe(200);
    const res = await api.fetch(`ca/${project.projectId}`, { token: await wrong.mint({ sub: owner.id }) });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});

describe('on a database with a 1-hour cooling interval', () => {
  const api = useApi({ ownDatabase: (sql) => sql`update vidsync.settings set cooling_interval = interval '1 hour'` });

  it('certificates live at most one hour, so none outlives a released IP', async () => {
    const owner = await api.user('cooling-owner');
    const { reg, certificate } = await registerAndCheckLifetime(api, owner, 'Short cooling', { upTo: HOUR, over: HOUR / 2 });

    const released = (await (await api.fetch(`release/${reg.body.deviceId}`, { method: 'POST', token: owner.accessToken })).json()) as { reusableAfter: string };
    expect(certificate.getTime()).toBeLessThanOrEqual(new Date(released.reusableAfter).getTime());
  });
});

describe('with a host certificate lifetime of 30 minutes', () => {
  const api = useApi({ env: { NEBULA_HOST_CERT_LIFETIME_SECONDS: '1800' } });

  it('certificates live at most 30 minutes', async () => {
    await registerAndCheckLifetime(api, await api.user('lifetime-owner'), 'Short lifetime', { upTo: 30 * 60_000, over: 15 * 60_000 });
  });
});
