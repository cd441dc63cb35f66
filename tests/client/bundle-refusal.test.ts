// The SDK installs only a bundle that verifies for this device. A server (or
// anything between it and the device) that sends a certificate from another
// CA, for another key, for another IP than it announced, or under another
// fingerprint, or a bundle for another project, gets `bundle_rejected`, and the files of the previous
// registration stay exactly as they were.
//
// The device talks to a tampering proxy in front of the real function: it
// forwards every request, and rewrites the answer to `POST /register` as
// each case says. The first registration goes through untouched.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NebulaClient, isVidsyncError } from '../../client/src/index.ts';
import type { RegisterResponse } from '../../client/src/index.ts';
import { unzipBundle, zipBundle } from '../../supabase/functions/_shared/bundle/index.ts';
import { base64ToBytes, bytesToBase64 } from '../../supabase/functions/_shared/base64.ts';
import {
  createCertificateAuthority,
  generateX25519KeyPair,
  signHostCertificate,
  x25519PublicKeyToPem,
} from '../../supabase/functions/_shared/nebula-cert/index.ts';
import type { CreatedCertificateAuthority } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { createProject } from '../api/helpers.ts';

type RegisterAnswer = RegisterResponse;
type Tamper = (answer: RegisterAnswer, request: { publicKeyPem: string }) => Promise<RegisterAnswer>;

let api: ApiHarness;
let proxy: Server;
let proxyUrl: string;
let tamper: Tamper | undefined;
let workDir: string;
let attackerCa: CreatedCertificateAuthority;

beforeAll(async () => {
  api = await startApi();
  workDir = await mkdtemp(join(tmpdir(), 'vidsync-refusal-'));
  attackerCa = await createCertificateAuthority({ name: 'attacker' });
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void answer().catch((e: unknown) => res.writeHead(599).end(String(e))));
    const answer = async () => {
      const body = Buffer.concat(chunks);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host') headers.set(k, v);
      const upstream = await fetch(`${api.functions.supabaseUrl}${req.url}`, { method: req.method, headers, body: body.length ? body : undefined });
      let text = await upstream.text();
      if (tamper && req.url?.endsWith('/nebula/register') && upstream.ok) {
        const request = JSON.parse(body.toString('utf8')) as { publicKey: string };
        text = JSON.stringify(await tamper(JSON.parse(text) as RegisterAnswer, { publicKeyPem: request.publicKey }));
      }
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(text);
    };
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await api?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Replaces files of the bundle and re-zips it. */
function withFiles(answer: RegisterAnswer, replace: Record<string, string>): RegisterAnswer {
  const files = unzipBundle(base64ToBytes(answer.bundle)!);
  const text = Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, new TextDecoder().decode(bytes)]));
  const zip = zipBundle({ ...text, ...replace } as Parameters<typeof zipBundle>[0]);
  return { ...answer, bundle: bytesToBase64(zip) };
}

async function attackerSigned(publicKeyPem: string, cidr: string, ca = attackerCa) {
  return signHostCertificate({
    ca: { certificate: ca.certificatePem, privateKey: ca.privateKey },
    publicKey: publicKeyPem,
    name: 'device',
    ip: cidr,
  });
}

const CASES: Array<[string, Tamper]> = [
  [
    'a certificate signed by another CA than the bundle ships',
    async (answer, { publicKeyPem }) => {
      const forged = await attackerSigned(publicKeyPem, answer.cidr);
      return { ...withFiles(answer, { 'node.crt': forged.pem }), fingerprint: forged.fingerprint };
    },
  ],
  [
    'a certificate for another public key',
    async (answer) => {
      const other = await generateX25519KeyPair();
      const forged = await attackerSigned(x25519PublicKeyToPem(other.publicKey), answer.cidr);
      return { ...withFiles(answer, { 'ca.crt': attackerCa.certificatePem, 'node.crt': forged.pem }), fingerprint: forged.fingerprint };
    },
  ],
  [
    'a certificate for another IP than announced',
    async (answer, { publicKeyPem }) => {
      const [a, b, c, d] = answer.ip.split('.').map(Number) as [number, number, number, number];
      const forged = await attackerSigned(publicKeyPem, `${a}.${b}.${c}.${d === 200 ? 201 : 200}/24`);
      return { ...withFiles(answer, { 'ca.crt': attackerCa.certificatePem, 'node.crt': forged.pem }), fingerprint: forged.fingerprint };
    },
  ],
  ['another fingerprint than announced', async (answer) => ({ ...answer, fingerprint: answer.fingerprint.replace(/^./, (ch) => (ch === '0' ? '1' : '0')) })],
  [
    'an announced IP that is not the certificate\'s',
    async (answer) => {
      const [a, b, c, d] = answer.ip.split('.').map(Number) as [number, number, number, number];
      return { ...answer, ip: `${a}.${b}.${c}.${d === 200 ? 201 : 200}` };
    },
  ],
  [
    'a sound bundle of another project (its nebula.yml names that project)',
    async (answer) => {
      const files = unzipBundle(base64ToBytes(answer.bundle)!);
      const config = new TextDecoder().decode(files['nebula.yml']);
      return withFiles(answer, { 'nebula.yml': config.replace(/^(  project: ).*$/m, `$1${crypto.randomUUID()}`) });
    },
  ],
  [
    'a bundle whose nebula.yml names no project',
    async (answer) => {
      const config = new TextDecoder().decode(unzipBundle(base64ToBytes(answer.bundle)!)['nebula.yml']);
      return withFiles(answer, { 'nebula.yml': config.replace(/^  project: .*\n/m, '') });
    },
  ],
  ['a bundle whose node.crt is empty', async (answer) => withFiles(answer, { 'node.crt': '' })],
];

async function snapshot(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir)).sort();
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n), 'utf8')] as const)));
}

describe('the SDK refuses a bundle that does not verify, and installs nothing', () => {
  let nebula: NebulaClient;
  let projectId: string;
  let dir: string;
  let before: Record<string, string>;

  beforeAll(async () => {
    const user = await api.user('refusal');
    const supabase = createClient(proxyUrl, api.functions.anonKey, { accessToken: async () => user.accessToken });
    projectId = (await createProject(api.client(user.accessToken), 'Refusal')).projectId;
    nebula = new NebulaClient({ supabase, baseDir: workDir });
    const first = await nebula.register({ projectId, deviceName: 'device' });
    dir = first.dir;
    before = await snapshot(dir);
  });

  it('installs an untampered bundle through the proxy (the harness passes honest answers on)', async () => {
    tamper = async (answer) => answer;
    const again = await nebula.register({ projectId, deviceName: 'device' });
    expect(again.ip).toMatch(/^10\./);
    before = await snapshot(dir);
  });

  // An attacker CA alone (sound certificate for our key and IP) passes: the
  // SDK trusts the CA that the server sends over TLS. What it checks is that
  // the bundle is consistent with itself and with what the server announced.
  it('accepts a self-consistent bundle (positive control for the forgeries below)', async () => {
    tamper = async (answer, { publicKeyPem }) => {
      const sound = await attackerSigned(publicKeyPem, answer.cidr);
      return { ...withFiles(answer, { 'ca.crt': attackerCa.certificatePem, 'node.crt': sound.pem }), fingerprint: sound.fingerprint };
    };
    await nebula.register({ projectId, deviceName: 'device' });
    expect(await readFile(join(dir, 'ca.crt'), 'utf8')).toBe(attackerCa.certificatePem);
    // Back to the real bundle for the refusals.
    tamper = async (answer) => answer;
    await nebula.register({ projectId, deviceName: 'device' });
    before = await snapshot(dir);
  });

  it.each(CASES)('refuses %s with bundle_rejected; the previous files stay intact', async (_name, forge) => {
    tamper = forge;
    const error = await nebula.register({ projectId, deviceName: 'device' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isVidsyncError(error, 'bundle_rejected'), String(error)).toBe(true);
    expect(await snapshot(dir)).toEqual(before);
  });
});
