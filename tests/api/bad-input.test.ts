// Bad input gets the right 4xx with a stable code, never a 500, and leaves
// the database exactly as it was: no device, no allocated IP, no certificate.
import { beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, generateEd25519KeyPair, ed25519PublicKeyToPem } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { useApi } from '../support/api.ts';
import type { LocalUser } from '../../scripts/local-functions/start.ts';
import { createOwnedProject, footprintOf, newDeviceKey } from './helpers.ts';

const api = useApi();
let token: string;
let userId: string;
let projectId: string;
let goodKey: string;
let ed25519Key: string;

beforeAll(async () => {
  let owner: LocalUser;
  ({ owner, token, projectId } = await createOwnedProject(api, 'bad-input', 'Bad input'));
  userId = owner.id;
  goodKey = (await newDeviceKey()).publicKeyPem;
  ed25519Key = ed25519PublicKeyToPem((await generateEd25519KeyPair()).publicKey);
});

interface BadCase {
  name: string;
  path?: string;
  method?: 'GET' | 'POST';
  contentType?: string;
  /** A raw body string, or a function of a valid registration body. */
  body: string | ((valid: Record<string, unknown>) => unknown);
  status: number;
  code: string;
}

const pem = (banner: string, base64: string) => `-----BEGIN ${banner}-----\n${base64}\n-----END ${banner}-----\n`;
const with_ = (patch: Record<string, unknown>) => (v: Record<string, unknown>) => ({ ...v, ...patch });
const without = (key: string) => (v: Record<string, unknown>) => Object.fromEntries(Object.entries(v).filter(([k]) => k !== key));

const CASES: BadCase[] = [
  { name: 'malformed JSON', body: '{"projectId": ', status: 400, code: 'invalid_json' },
  { name: 'JSON but not an object', body: '[1,2,3]', status: 400, code: 'validation_failed' },
  { name: 'empty body', body: '', status: 400, code: 'invalid_json' },
  { name: 'not JSON content type', contentType: 'text/plain', body: (v) => v, status: 400, code: 'invalid_json' },
  { name: 'missing projectId', body: without('projectId'), status: 400, code: 'validation_failed' },
  { name: 'missing deviceId', body: without('deviceId'), status: 400, code: 'validation_failed' },
  { name: 'missing deviceName', body: without('deviceName'), status: 400, code: 'validation_failed' },
  { name: 'missing publicKey', body: without('publicKey'), status: 400, code: 'validation_failed' },
  { name: 'projectId not a UUID', body: with_({ projectId: 'project-1' }), status: 400, code: 'validation_failed' },
  { name: 'deviceId not a UUID', body: with_({ deviceId: '1234' }), status: 400, code: 'validation_failed' },
  { name: 'deviceId a number', body: with_({ deviceId: 42 }), status: 400, code: 'validation_failed' },
  { name: 'deviceName a number', body: with_({ deviceName: 7 }), status: 400, code: 'validation_failed' },
  { name: 'deviceName empty', body: with_({ deviceName: '' }), status: 400, code: 'validation_failed' },
  { name: 'deviceName too long', body: with_({ deviceName: 'x'.repeat(65) }), status: 400, code: 'validation_failed' },
  { name: 'deviceName with a newline', body: with_({ deviceName: 'laptop\nlighthouse:\n  am_lighthouse: true' }), status: 400, code: 'validation_failed' },
  { name: 'deviceName with NUL', body: with_({ deviceName: 'lap\u0000top' }), status: 400, code: 'validation_failed' },
  { name: 'deviceName with a tab', body: with_({ deviceName: 'lap\ttop' }), status: 400, code: 'validation_failed' },
  { name: 'deviceName with U+2028', body: with_({ deviceName: 'lap\u2028top' }), status: 400, code: 'validation_failed' },
  { name: 'deviceName with a zero-width space', body: with_({ deviceName: 'lap\u200Btop' }), status: 400, code: 'validation_failed' },
  { name: 'deviceName with a right-to-left override', body: with_({ deviceName: 'pot\u202Epal' }), status: 400, code: 'validation_failed' },
  { name: 'deviceName of ideographic spaces', body: with_({ deviceName: '\u3000\u3000' }), status: 400, code: 'validation_failed' },
  { name: 'publicKey a number', body: with_({ publicKey: 12 }), status: 400, code: 'validation_failed' },
  { name: 'publicKey not PEM', body: with_({ publicKey: 'hello' }), status: 400, code: 'pem_invalid' },
  { name: 'an Ed25519 key where X25519 is expected', body: () => ({ projectId, deviceId: crypto.randomUUID(), deviceName: 'ed', publicKey: ed25519Key }), status: 400, code: 'pem_banner' },
  { name: 'X25519 key of 31 bytes', body: with_({ publicKey: pem('NEBULA X25519 PUBLIC KEY', btoa('x'.repeat(31))) }), status: 400, code: 'key_length' },
  { name: 'X25519 key of 33 bytes', body: with_({ publicKey: pem('NEBULA X25519 PUBLIC KEY', btoa('x'.repeat(33))) }), status: 400, code: 'key_length' },
  { name: 'PEM with garbage base64', body: with_({ publicKey: pem('NEBULA X25519 PUBLIC KEY', '!!!not base64!!!') }), status: 400, code: 'pem_invalid' },
  { name: 'PEM followed by garbage', body: (v) => ({ ...v, publicKey: `${String(v.publicKey)}garbage after the key` }), status: 400, code: 'pem_invalid' },
  { name: 'publicKey far too long', body: with_({ publicKey: 'A'.repeat(5000) }), status: 400, code: 'validation_failed' },
  { name: 'unknown field', body: with_({ isAdmin: true }), status: 400, code: 'validation_failed' },
  { name: 'lighthouse without endpoints', body: with_({ lighthouse: {} }), status: 400, code: 'validation_failed' },
  { name: 'lighthouse endpoint without port', body: with_({ lighthouse: { endpoints: ['198.18.0.1'] } }), status: 400, code: 'validation_failed' },
  { name: 'lighthouse endpoint port 70000', body: with_({ lighthouse: { endpoints: ['198.18.0.1:70000'] } }), status: 400, code: 'validation_failed' },
  { name: 'lighthouse endpoint with YAML', body: with_({ lighthouse: { endpoints: ['a: b\n- c:1'] } }), status: 400, code: 'validation_failed' },
  { name: 'syncthing id malformed', body: with_({ syncthingDeviceId: 'not-a-syncthing-id' }), status: 400, code: 'validation_failed' },
  { name: 'unknown project', body: with_({ projectId: '00000000-0000-4000-8000-000000000000' }), status: 404, code: 'not_found' },
  { name: 'huge body', body: JSON.stringify({ deviceName: 'x'.repeat(2_000_000) }), status: 413, code: 'payload_too_large' },
  { name: 'status of a non-UUID device', path: 'status/not-a-uuid', method: 'GET', body: '', status: 400, code: 'validation_failed' },
  { name: 'unknown route', path: 'unregister', body: (v) => v, status: 404, code: 'not_found' },
  { name: 'wrong method', path: 'register', method: 'GET', body: '', status: 405, code: 'method_not_allowed' },
  { name: 'project with a subnet too large', path: 'projects', body: () => ({ name: 'big', subnet: '10.0.0.0/8' }), status: 400, code: 'validation_failed' },
  { name: 'project with an IPv6 subnet', path: 'projects', body: () => ({ name: 'v6', subnet: 'fd00::/64' }), status: 400, code: 'validation_failed' },
  { name: 'project with a name of control characters', path: 'projects', body: () => ({ name: 'a\u0007b' }), status: 400, code: 'validation_failed' },
];

describe('bad input', () => {
  it(`has at least 30 cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES)('$name → $status $code, database unchanged', async (c) => {
    const before = await footprintOf(api.sql, userId);
    const valid = { projectId, deviceId: crypto.randomUUID(), deviceName: 'device', publicKey: goodKey };
    const body = typeof c.body === 'string' ? c.body : JSON.stringify(c.body(valid));
    const method = c.method ?? 'POST';
    const res = await api.fetch(c.path ?? 'register', {
      method,
      token,
      headers: { 'content-type': c.contentType ?? 'application/json' },
      body: method === 'GET' ? undefined : body,
    });
    const json = (await res.json()) as { error: { code: string; message: string } };
    expect({ status: res.status, code: json.error.code }).toEqual({ status: c.status, code: c.code });
    expect(json.error.message.length).toBeGreaterThan(0);
    expect(await footprintOf(api.sql, userId)).toEqual(before);
  });
});

describe('bad input that reaches Postgres is still a 400, never a 500', () => {
  async function registered(): Promise<string> {
    const deviceId = crypto.randomUUID();
    const res = await api.fetch('register', {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ projectId, deviceId, deviceName: `kept ${deviceId}`, publicKey: goodKey }),
    });
    expect(res.status).toBe(200);
    return deviceId;
  }

  it.each([
    ['a NUL (Postgres: 22021)', 'a%00b'],
    ['a line break', 'a%0Ab'],
    ['a right-to-left override', 'a%E2%80%AEb'],
    ['201 characters', 'r'.repeat(201)],
  ])('POST /release/:id?reason= with %s → 400 validation_failed, the device keeps its IP', async (_what, reason) => {
    const deviceId = await registered();
    const res = await api.fetch(`release/${deviceId}?reason=${reason}`, { method: 'POST', token });
    const json = (await res.json()) as { error: { code: string } };
    expect({ status: res.status, code: json.error.code }).toEqual({ status: 400, code: 'validation_failed' });
    const [row] = await api.sql`select overlay_ip is not null as holds from vidsync.devices where id = ${deviceId}`;
    expect(row).toEqual({ holds: true });
  });

  it('importing a CA whose notAfter is past the year 9999 (Postgres: 22009) → 400 ca_lifetime_too_long', async () => {
    const [project] = await api.sql<{ subnet: string }[]>`select subnet::text as subnet from vidsync.projects where id = ${projectId}`;
    const ca = await createCertificateAuthority({ name: 'forever', ips: [project!.subnet], notAfter: new Date('+010000-01-01T00:00:00Z') });
    const before = await footprintOf(api.sql, userId);
    const res = await api.fetch(`ca/${projectId}/import`, {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ caCertificate: ca.certificatePem, caKey: ca.privateKeyPem }),
    });
    const json = (await res.json()) as { error: { code: string } };
    expect({ status: res.status, code: json.error.code }).toEqual({ status: 400, code: 'ca_lifetime_too_long' });
    expect(await footprintOf(api.sql, userId)).toEqual(before);
  });
});
