// Every route of the `nebula` function on its happy path, through the SDK and
// supabase-js against the function served by Deno and the real Postgres.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { NebulaClient } from '../../client/src/index.ts';
import { inlineCode, unzipBundle } from '../../supabase/functions/_shared/bundle/index.ts';
import { parseCertificatePem, verifyCertificate } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { binary, missing } from '../../scripts/e2e/requirements.ts';
import { addMember, createProject, execFileAsync, newDeviceKey } from './helpers.ts';
import type { CreatedProject } from './helpers.ts';

let api: ApiHarness;
let project: CreatedProject;
let alice: NebulaClient;
let aliceClient: ReturnType<ApiHarness['client']>;
let workDir: string;

beforeAll(async () => {
  api = await startApi();
  workDir = await mkdtemp(join(tmpdir(), 'vidsync-routes-'));
  aliceClient = api.client(api.functions.users.alice.accessToken);
  alice = new NebulaClient({ supabase: aliceClient, baseDir: join(workDir, 'alice') });
  project = await createProject(aliceClient, 'Routes project');
});

afterAll(async () => {
  await api?.stop();
});

describe('POST /nebula/projects', () => {
  it('creates a project owned by the caller, with a random /24 from the automatic range (10.0.0.0/8) and its own CA', async () => {
    expect(project.ownerId).toBe(api.functions.users.alice.id);
    // Random, outside the home-router and container ranges the settings avoid (10.0.x, 10.1.x, 10.8.x, 10.10.x, ...).
    expect(project.subnet).toMatch(/^10\.\d+\.\d+\.0\/24$/);
    expect(['0', '1', '8', '10']).not.toContain(project.subnet.split('.')[1]);
    const ca = parseCertificatePem(project.ca.certificate);
    expect(ca.details.isCA).toBe(true);
    // The CA may sign only inside the project's subnet.
    expect(ca.details.ips.map((ip) => `${ip.address}/${ip.prefix}`)).toEqual([project.subnet]);
  });

  it('takes an explicit subnet and refuses an overlapping one with 409 subnet_overlap', async () => {
    const explicit = await createProject(aliceClient, 'Explicit', '10.201.0.0/24');
    expect(explicit.subnet).toBe('10.201.0.0/24');
    const res = await api.fetch('projects', {
      method: 'POST',
      token: api.functions.users.alice.accessToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Overlapping', subnet: '10.201.0.0/23' }),
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('subnet_overlap');
  });
});

describe('register through the SDK', () => {
  it('allocates, signs and installs a verified bundle; the key stays on the device with mode 0600', async () => {
    const reg = await alice.register({ projectId: project.projectId, deviceName: 'alice laptop' });
    expect(reg.cidr).toBe(`${reg.ip}/24`);
    expect(reg.ip.startsWith(project.subnet.split('.').slice(0, 3).join('.'))).toBe(true);
    expect((await stat(reg.paths.privateKey)).mode & 0o777).toBe(0o600);

    const cert = await readFile(reg.paths.certificate, 'utf8');
    const verified = await verifyCertificate(cert, { cas: await readFile(reg.paths.ca, 'utf8') });
    expect(verified.fingerprint).toBe(reg.fingerprint);
    expect(verified.certificate.details.name).toBe('alice laptop');

    const config = YAML.parse(await readFile(reg.paths.config, 'utf8')) as { pki: Record<string, string>; tun: { dev: string } };
    expect(config.pki.key).toBe(reg.paths.privateKey);
    expect(config.tun.dev.length).toBeLessThanOrEqual(15);
  });

  it('is idempotent: the same device registering again keeps its IP and holds one allocation', async () => {
    const first = await alice.register({ projectId: project.projectId, deviceName: 'alice laptop' });
    const again = await alice.register({ projectId: project.projectId, deviceName: 'alice laptop' });
    expect(again.deviceId).toBe(first.deviceId);
    expect(again.ip).toBe(first.ip);
    const live = await api.sql`select 1 from vidsync.ip_allocations where device_id = ${first.deviceId} and released_at is null`;
    expect(live.length).toBe(1);
  });

  it('never puts a private key in the bundle', async () => {
    const key = await newDeviceKey();
    const res = await api.fetch('register', {
      method: 'POST',
      token: api.functions.users.alice.accessToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ projectId: project.projectId, deviceId: crypto.randomUUID(), deviceName: 'probe', publicKey: key.publicKeyPem }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { bundle: string };
    const files = unzipBundle(Uint8Array.from(atob(body.bundle), (c) => c.charCodeAt(0)));
    expect(Object.keys(files)).toEqual(['ca.crt', 'node.crt', 'nebula.yml', 'README.md']);
    for (const content of Object.values(files)) expect(new TextDecoder().decode(content)).not.toMatch(/PRIVATE KEY/);
  });

  it('returns the raw zip as application/octet-stream when asked', async () => {
    const key = await newDeviceKey();
    const res = await api.fetch('register', {
      method: 'POST',
      token: api.functions.users.alice.accessToken,
      headers: { 'content-type': 'application/json', accept: 'application/octet-stream' },
      body: JSON.stringify({ projectId: project.projectId, deviceId: crypto.randomUUID(), deviceName: 'raw', publicKey: key.publicKeyPem }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const meta = JSON.parse(res.headers.get('x-vidsync-device')!) as { ip: string };
    const files = unzipBundle(new Uint8Array(await res.arrayBuffer()));
    expect(new TextDecoder().decode(files['README.md'])).toContain(meta.ip);
  });
});

describe('CORS', () => {
  it('answers a browser\'s preflight and marks every answer, errors included', async () => {
    const preflight = await fetch(`${api.functions.functionsUrl}/nebula/register`, {
      method: 'OPTIONS',
      headers: { origin: 'app://vidsync', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-client-info, apikey' },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);

    const refused = await api.fetch(`ca/${project.projectId}`, { headers: { origin: 'app://vidsync' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('hostile device names', () => {
  const HOSTILE = '"]} x: {am_lighthouse: true} # $(rm -rf ~) `id` *b* [l](u) <b>|';

  async function bundleFiles(deviceName: string): Promise<Record<string, string>> {
    const key = await newDeviceKey();
    const res = await api.fetch('register', {
      method: 'POST',
      token: api.functions.users.alice.accessToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ projectId: project.projectId, deviceId: crypto.randomUUID(), deviceName, publicKey: key.publicKeyPem }),
    });
    expect(res.status).toBe(200);
    const files = unzipBundle(Uint8Array.from(atob(((await res.json()) as { bundle: string }).bundle), (c) => c.charCodeAt(0)));
    return Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, new TextDecoder().decode(bytes)]));
  }

  it('change neither the structure of nebula.yml nor that of README.md', async () => {
    const plain = await bundleFiles('plain name');
    const hostile = await bundleFiles(HOSTILE);
    expect(YAML.parse(hostile['nebula.yml']!)).toEqual(YAML.parse(plain['nebula.yml']!));
    const structure = (md: string) => md.split('\n').map((line) => (/^(#|```|- `|- Device:|$)/.exec(line)?.[0] ?? 'text'));
    expect(structure(hostile['README.md']!)).toEqual(structure(plain['README.md']!));
    expect(hostile['README.md']).toContain(`- Device: ${inlineCode(HOSTILE)}\n`);
    // The certificate carries the name exactly as given.
    expect(parseCertificatePem(hostile['node.crt']!).details.name).toBe(HOSTILE);
  });
});

describe('lighthouses, status, config, CA and release', () => {
  it('an admin registers a lighthouse; other devices\' configs then find it, without re-signing', async () => {
    const lighthouseKey = await newDeviceKey();
    const { data, error } = await aliceClient.functions.invoke('nebula/register', {
      body: {
        projectId: project.projectId,
        deviceId: crypto.randomUUID(),
        deviceName: 'lighthouse',
        publicKey: lighthouseKey.publicKeyPem,
        lighthouse: { endpoints: ['198.18.0.10:4242'] },
      },
    });
    expect(error).toBeNull();
    const lighthouseIp = (data as { ip: string }).ip;

    const path = await alice.refreshConfig(project.projectId);
    const config = YAML.parse(await readFile(path, 'utf8')) as {
      static_host_map: Record<string, string[]>;
      lighthouse: { hosts: string[] };
    };
    expect(config.static_host_map[lighthouseIp]).toEqual(['198.18.0.10:4242']);
    expect(config.lighthouse.hosts).toContain(lighthouseIp);
  });

  it('status tells IP, certificate fingerprint and expiry', async () => {
    const reg = await alice.register({ projectId: project.projectId, deviceName: 'alice laptop' });
    const status = await alice.status(project.projectId);
    expect(status).toMatchObject({ deviceId: reg.deviceId, ip: reg.ip, cidr: reg.cidr, fingerprint: reg.fingerprint, isLighthouse: false });
    expect(new Date(status.notAfter!).getTime()).toBe(reg.notAfter.getTime());
  });

  it('ca returns the project CA PEM', async () => {
    expect((await alice.ca(project.projectId)).trim()).toBe(project.ca.certificate.trim());
  });

  it('release frees the IP into cooling: a new device does not get it, the same device gets a new one', async () => {
    const reg = await alice.register({ projectId: project.projectId, deviceName: 'alice laptop' });
    const released = await alice.release(project.projectId, 'test');
    expect(released.releasedIp).toBe(reg.ip);
    expect(new Date(released.reusableAfter!).getTime()).toBeGreaterThan(Date.now());
    expect((await alice.status(project.projectId)).ip).toBeNull();

    const bobUser = await api.user('bob-release');
    await addMember(api.sql, project.projectId, bobUser.id, 'member');
    const bob = new NebulaClient({ supabase: api.client(bobUser.accessToken), baseDir: join(workDir, 'bob') });
    const bobReg = await bob.register({ projectId: project.projectId, deviceName: 'bob desktop' });
    expect(bobReg.ip).not.toBe(reg.ip);

    const again = await alice.register({ projectId: project.projectId, deviceName: 'alice laptop' });
    expect(again.ip).not.toBe(reg.ip);
  });
});

const noNebulaCert = missing(binary('nebula-cert'));
describe.runIf(!noNebulaCert)('with the real nebula-cert', () => {
  it('certificates from register pass `nebula-cert verify`', async () => {
    const reg = await alice.register({ projectId: project.projectId, deviceName: 'verify me' });
    const { stdout, stderr } = await execFileAsync('nebula-cert', ['verify', '-ca', reg.paths.ca, '-crt', reg.paths.certificate]);
    expect(stderr).toBe('');
    expect(stdout).toBe('');
  });

  it('an admin imports an existing nebula-cert CA; new certificates are signed by it and nebula-cert verifies them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vidsync-import-'));
    const imported = await createProject(aliceClient, 'Imported CA', '10.202.0.0/24');
    await execFileAsync('nebula-cert', ['ca', '-name', 'seed CA', '-ips', imported.subnet, '-out-crt', join(dir, 'ca.crt'), '-out-key', join(dir, 'ca.key')]);
    const { data, error } = await aliceClient.functions.invoke(`nebula/ca/${imported.projectId}/import`, {
      body: { caCertificate: await readFile(join(dir, 'ca.crt'), 'utf8'), caKey: await readFile(join(dir, 'ca.key'), 'utf8') },
    });
    expect(error).toBeNull();
    const seedFingerprint = (data as { fingerprint: string }).fingerprint;

    const reg = await alice.register({ projectId: imported.projectId, deviceName: 'after import' });
    const cert = parseCertificatePem(await readFile(reg.paths.certificate, 'utf8'));
    expect(cert.details.issuer).toBe(seedFingerprint);
    await writeFile(join(dir, 'node.crt'), await readFile(reg.paths.certificate));
    await execFileAsync('nebula-cert', ['verify', '-ca', join(dir, 'ca.crt'), '-crt', join(dir, 'node.crt')]);
    // Both CAs stay trusted during the switch.
    expect((await alice.ca(imported.projectId)).match(/BEGIN NEBULA CERTIFICATE/g)).toHaveLength(2);
  });
});
