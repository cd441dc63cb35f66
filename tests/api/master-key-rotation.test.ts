// Rotating the CA master key on a running deployment, as the README's
// runbook does it: add the new key in front (it seals from now on, the old
// one still opens), re-seal every CA key with scripts/ops/reseal-ca-keys.ts
// (interrupted half-way and resumed here), retire the old key. Devices
// register throughout. A CA key still sealed under a retired key gives a
// 500 whose log line names the key id, and the function keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { freshDatabase } from '../support/db.ts';
import type { FreshDatabase } from '../support/db.ts';
import { generateMasterKey, importMasterKeys, masterKeyId, sealCaKey, sealedKeyId } from '../../supabase/functions/_shared/secrets/index.ts';
import { resealCaKeys, sealedKeyCounts } from '../../scripts/ops/reseal.ts';
import { main as resealCommand } from '../../scripts/ops/reseal-ca-keys.ts';
import { createServer, type AddressInfo } from 'node:net';
import { newDeviceKey } from './helpers.ts';

const OLD = generateMasterKey();
const NEW = generateMasterKey();

let db: FreshDatabase;
let api: ApiHarness | undefined;
const logs: string[] = [];
const projects: { id: string; email: string }[] = [];

/** The function with these master keys (newest first), on the test's own database. */
async function serveWith(keys: string[]): Promise<ApiHarness> {
  await api?.stop();
  // NEBULA_CA_MASTER_KEY (the dev stack's) emptied: the list alone decides.
  api = await startApi({ dbUrl: db.url, env: { NEBULA_CA_MASTER_KEYS: keys.join(','), NEBULA_CA_MASTER_KEY: '' }, log: (line) => logs.push(line) });
  return api;
}

async function newProject(name: string): Promise<void> {
  const user = await api!.user('rotation');
  const res = await api!.fetch('projects', { method: 'POST', token: user.accessToken, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  expect(res.status).toBe(201);
  projects.push({ id: ((await res.json()) as { projectId: string }).projectId, email: user.email });
}

async function register(project: { id: string; email: string }): Promise<Response> {
  const key = await newDeviceKey();
  // Each server run has its own token issuer: a token of this one.
  const { accessToken } = await api!.functions.userToken(project.email);
  return api!.fetch('register', {
    method: 'POST',
    token: accessToken,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ projectId: project.id, deviceId: crypto.randomUUID(), deviceName: `rotating ${crypto.randomUUID().slice(0, 8)}`, publicKey: key.publicKeyPem }),
  });
}

async function everyProjectRegisters(): Promise<void> {
  for (const project of projects) expect((await register(project)).status, project.id).toBe(200);
}

beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await api?.stop();
  await db?.drop();
});

describe('master-key rotation', () => {
  it('add the new key, re-seal half, keep serving, resume, retire the old key', async () => {
    const [oldId, newId] = [await masterKeyId(OLD), await masterKeyId(NEW)];

    await serveWith([OLD]);
    for (let i = 0; i < 4; i++) await newProject(`before ${i}`);
    expect(await sealedKeyCounts(db.sql)).toEqual({ [oldId]: 4 });

    // 1. The new key in front: new CAs are sealed with it, old ones still open.
    await serveWith([NEW, OLD]);
    await newProject('during');
    expect(await sealedKeyCounts(db.sql)).toEqual({ [oldId]: 4, [newId]: 1 });
    await everyProjectRegisters();

    // 2. Re-seal, interrupted after two rows.
    const keyring = await importMasterKeys([NEW, OLD]);
    const first = await resealCaKeys(db.sql, keyring, { limit: 2, batchSize: 1 });
    expect(first).toMatchObject({ resealed: 2, failed: [], remaining: 2 });
    await everyProjectRegisters(); // mid-way: some CAs under each key

    // ... resumed, then run again: nothing left, nothing done twice.
    const second = await resealCaKeys(db.sql, keyring);
    expect(second).toMatchObject({ resealed: 2, failed: [], remaining: 0 });
    expect(await resealCaKeys(db.sql, keyring)).toMatchObject({ resealed: 0, remaining: 0 });
    expect(await sealedKeyCounts(db.sql)).toEqual({ [newId]: 5 });

    // 3. The old key retired.
    await serveWith([NEW]);
    await everyProjectRegisters();
  });

  it('the command reports per key id, and exits 1 while a CA still needs an older key', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const env = { NEBULA_CA_MASTER_KEYS: `${NEW},${OLD}` };
    expect(await resealCommand(['--db-url', db.url, '--status'], env, (l) => out.push(l), (l) => err.push(l))).toBe(0);
    expect(out.join('\n')).toContain(`${await masterKeyId(NEW)} 5 (newest)`);
    expect(out.join('\n')).not.toContain(NEW);
    expect(await resealCommand(['--db-url', db.url], { NEBULA_CA_MASTER_KEYS: 'short' }, (l) => out.push(l), (l) => err.push(l))).toBe(2);
    expect(await resealCommand([], env, (l) => out.push(l), (l) => err.push(l))).toBe(2);
    expect(err.join('\n')).toContain('missing --db-url');
    expect(await resealCommand(['--db-url', 'not a url'], env, (l) => out.push(l), (l) => err.push(l))).toBe(2);
    expect(err.join('\n')).toContain('--db-url is not a URL');
    // TLS as the function has it: to a host that is not this machine, the first message asks for TLS
    // (Postgres's SSLRequest: length 8, code 80877103). 127.0.0.2 is loopback, but not a name the rule
    // treats as this machine; a listener there reads that message and answers 'N' (no TLS here), so the
    // command must give up rather than go on in plain text.
    const firstMessages: Buffer[] = [];
    const listener = createServer((socket) => socket.once('data', (data: Buffer) => {
      firstMessages.push(data);
      socket.end('N');
    }));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.2', resolve));
    try {
      const remote = `postgres://postgres:x@127.0.0.2:${(listener.address() as AddressInfo).port}/postgres`;
      await resealCommand(['--db-url', remote, '--status'], env, (l) => out.push(l), (l) => err.push(l)).catch(() => undefined);
    } finally {
      listener.close();
    }
    expect(firstMessages[0]?.subarray(0, 8).toString('hex')).toBe('0000000804d2162f');

    // A CA sealed under a key the command was not given: reported by id, exit 1, the row left alone.
    const stray = generateMasterKey();
    const [row] = await db.sql<{ fingerprint: string; project_id: string }[]>`select fingerprint, project_id from vidsync.project_cas limit 1`;
    const strayed = await sealCaKey(await importMasterKeys([stray]), 'not a real key', row!.project_id);
    const [before] = await db.sql<{ sealed_private_key: string }[]>`select sealed_private_key from vidsync.project_cas where fingerprint = ${row!.fingerprint}`;
    await db.sql`update vidsync.project_cas set sealed_private_key = ${strayed} where fingerprint = ${row!.fingerprint}`;
    err.length = 0;
    expect(await resealCommand(['--db-url', db.url], env, (l) => out.push(l), (l) => err.push(l))).toBe(1);
    expect(err.join('\n')).toContain(await masterKeyId(stray));
    await db.sql`update vidsync.project_cas set sealed_private_key = ${before!.sealed_private_key} where fingerprint = ${row!.fingerprint}`;
  });

  it('a CA sealed with a retired key: 500 master_key_unknown, the log names the key id, other projects keep working', async () => {
    // A row the re-seal missed (written by an instance that still had the old key), then the old key retired.
    const victim = projects[0]!;
    const [ca] = await db.sql<{ fingerprint: string }[]>`select fingerprint from vidsync.project_cas where project_id = ${victim.id} and active`;
    const underOld = await sealCaKey(await importMasterKeys([OLD]), 'x', victim.id);
    expect(sealedKeyId(underOld)).toBe(await masterKeyId(OLD));
    await db.sql`update vidsync.project_cas set sealed_private_key = ${underOld} where fingerprint = ${ca!.fingerprint}`;
    await serveWith([NEW]);
    logs.length = 0;

    for (let i = 0; i < 3; i++) {
      const res = await register(victim);
      expect(res.status).toBe(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('master_key_unknown');
    }
    await new Promise((r) => setTimeout(r, 200)); // the log lines cross a pipe
    expect(logs.join('\n')).toContain(`master key ${await masterKeyId(OLD)}`);
    expect(logs.join('\n')).not.toContain(OLD);
    // Nothing was allocated for the failed registrations, and the others still register.
    expect(await db.sql`select 1 from vidsync.devices where project_id = ${victim.id}`).toHaveLength(3);
    await everyProjectRegistersExcept(victim.id);
  });
});

async function everyProjectRegistersExcept(skip: string): Promise<void> {
  for (const project of projects.filter((p) => p.id !== skip)) expect((await register(project)).status).toBe(200);
}
