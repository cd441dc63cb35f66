import { describe, expect, it } from 'vitest';
import { validate } from '../../supabase/functions/_shared/http/body.ts';
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';
import { AnyInviteBody } from '../../supabase/functions/_shared/http/enroll-schemas.ts';
import {
  CreateProjectBody,
  DeviceParams,
  ProjectParams,
  ImportCaBody,
  isEndpoint,
  RegisterBody,
} from '../../supabase/functions/_shared/http/schemas.ts';

const PUBLIC_KEY = '-----BEGIN NEBULA X25519 PUBLIC KEY-----\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n-----END NEBULA X25519 PUBLIC KEY-----\n';
const good = {
  projectId: '3f2c1a9e-1111-4222-8333-abcdefabcdef',
  deviceId: '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
  deviceName: 'Anna’s laptop (Büro) 🎬',
  publicKey: PUBLIC_KEY,
  syncthingDeviceId: 'MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-BONSGYY-LTMRWAD',
  lighthouse: { endpoints: ['203.0.113.7:4242', 'lh.example.com:4242', '[2001:db8::1]:4242'] },
};

describe('RegisterBody', () => {
  it('accepts a full, valid registration', () => {
    expect(RegisterBody.safeParse(good).success).toBe(true);
  });

  it('accepts the minimal one and lowercases ids', () => {
    const parsed = RegisterBody.parse({ ...good, projectId: good.projectId.toUpperCase(), syncthingDeviceId: undefined, lighthouse: undefined });
    expect(parsed.projectId).toBe(good.projectId);
  });

  const bad: [string, Record<string, unknown>][] = [
    ['newline in name', { deviceName: 'a\nb' }],
    ['carriage return in name', { deviceName: 'a\rb' }],
    ['tab in name', { deviceName: 'a\tb' }],
    ['NUL in name', { deviceName: 'a\u0000b' }],
    ['DEL in name', { deviceName: 'a\u007fb' }],
    ['C1 control in name', { deviceName: 'a\u0085b' }],
    ['line separator in name', { deviceName: 'a\u2028b' }],
    ['paragraph separator in name', { deviceName: 'a\u2029b' }],
    ['bidi override in name', { deviceName: 'a\u202Eb' }],
    ['empty name', { deviceName: '' }],
    ['blank name', { deviceName: '   ' }],
    ['65-char name', { deviceName: 'x'.repeat(65) }],
    ['name not a string', { deviceName: 42 }],
    ['bad uuid', { projectId: 'not-a-uuid' }],
    ['uuid too short', { deviceId: '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2' }],
    ['uuid with braces', { deviceId: '{9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d}' }],
    ['uuid with SQL', { projectId: "3f2c1a9e-1111-4222-8333-abcdefabcdef' or 1=1" }],
    ['empty public key', { publicKey: '' }],
    ['public key over 1 KiB', { publicKey: 'A'.repeat(1025) }],
    ['lowercase syncthing id', { syncthingDeviceId: good.syncthingDeviceId.toLowerCase() }],
    ['syncthing id with 1 and 8', { syncthingDeviceId: 'MFZWI31-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-BONSGYY-LTMRWA8' }],
    ['syncthing id without dashes', { syncthingDeviceId: good.syncthingDeviceId.replaceAll('-', '') }],
    ['no endpoints', { lighthouse: { endpoints: [] } }],
    ['nine endpoints', { lighthouse: { endpoints: Array(9).fill('203.0.113.7:4242') } }],
    ['endpoint without port', { lighthouse: { endpoints: ['203.0.113.7'] } }],
    ['endpoint port 0', { lighthouse: { endpoints: ['203.0.113.7:0'] } }],
    ['endpoint port 65536', { lighthouse: { endpoints: ['203.0.113.7:65536'] } }],
    ['endpoint with newline', { lighthouse: { endpoints: ['a.example:1\nfoo: bar'] } }],
    ['endpoint with YAML', { lighthouse: { endpoints: ['"x": [1]'] } }],
    ['endpoint with shell', { lighthouse: { endpoints: ['$(reboot):4242'] } }],
    ['endpoint bad IPv4', { lighthouse: { endpoints: ['300.1.1.1:4242'] } }],
    ['endpoint bare IPv6', { lighthouse: { endpoints: ['2001:db8::1:4242'] } }],
    ['endpoint bad IPv6', { lighthouse: { endpoints: ['[2001:zz8::1]:4242'] } }],
    ['unknown lighthouse key', { lighthouse: { endpoints: ['203.0.113.7:4242'], port: 1 } }],
    ['unknown top-level key', { owner: 'someone-else' }],
    ['__proto__ key', JSON.parse('{"__proto__": {"admin": true}}') as Record<string, unknown>],
  ];

  it.each(bad)('rejects %s', (_label, patch) => {
    const result = RegisterBody.safeParse({ ...good, ...patch });
    expect(result.success).toBe(false);
  });

  it('turns a failure into validation_failed without echoing huge values', () => {
    const huge = 'k'.repeat(10_000);
    let err: unknown;
    try {
      validate(RegisterBody, { ...good, [huge]: 1, deviceName: 'x'.repeat(10_000) });
    } catch (e) {
      err = e;
    }
    expect(isVidsyncError(err, 'validation_failed')).toBe(true);
    expect(JSON.stringify((err as { details: unknown }).details).length).toBeLessThan(1000);
  });
});

describe('endpoints', () => {
  it.each(['203.0.113.7:4242', 'lh.example.com:1', 'LH-1.example.com.:65535', '[::1]:4242', '[2001:db8::1]:4242', 'localhost:4242'])('accepts %s', (s) => {
    expect(isEndpoint(s)).toBe(true);
  });
  it.each(['', ':4242', 'host:', 'host:04242', '-bad.example:1', 'bad-.example:1', 'a..b:1', '1.2.3:4', '01.2.3.4:5', 'x'.repeat(64) + '.com:1', 'a b:1', 'host:1:2'])('rejects %j', (s) => {
    expect(isEndpoint(s)).toBe(false);
  });
});

describe('CreateProjectBody', () => {
  it('accepts a name alone or with a subnet', () => {
    expect(CreateProjectBody.parse({ name: 'Film 2026' })).toEqual({ name: 'Film 2026' });
    expect(CreateProjectBody.parse({ name: 'x', subnet: '10.99.0.0/16' }).subnet).toBe('10.99.0.0/16');
    expect(CreateProjectBody.parse({ name: 'x', subnet: '10.99.3.4/30' }).subnet).toBe('10.99.3.4/30');
  });
  it.each([
    [{ name: '' }],
    [{ name: 'a\nb' }],
    [{ name: 'x'.repeat(101) }],
    [{ name: 'x', subnet: '10.99.0.0/15' }],
    [{ name: 'x', subnet: '10.99.0.0/31' }],
    [{ name: 'x', subnet: '10.99.0.1/24' }],
    [{ name: 'x', subnet: '10.99.0.0' }],
    [{ name: 'x', subnet: '10.299.0.0/24' }],
    [{ name: 'x', subnet: 'fd00::/64' }],
    [{ name: 'x', owner: 'y' }],
  ])('rejects %j', (body) => {
    expect(CreateProjectBody.safeParse(body).success).toBe(false);
  });
  it('a public subnet hears which ranges are private, and that RFC 6598 needs the deployment\'s leave', () => {
    const parsed = CreateProjectBody.safeParse({ name: 'x', subnet: '8.8.8.0/24' });
    expect(parsed.error?.issues.map((i) => i.message)).toEqual([
      'must lie in a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16; 100.64.0.0/10 only where the deployment allows it)',
    ]);
  });
});

describe('ImportCaBody and params', () => {
  const cert = '-----BEGIN NEBULA CERTIFICATE-----\nAAAA\n-----END NEBULA CERTIFICATE-----\n';
  const key = '-----BEGIN NEBULA ED25519 PRIVATE KEY-----\nAAAA\n-----END NEBULA ED25519 PRIVATE KEY-----\n';
  it('accepts PEM-looking strings and rejects others', () => {
    expect(ImportCaBody.safeParse({ caCertificate: cert, caKey: key }).success).toBe(true);
    expect(ImportCaBody.safeParse({ caCertificate: 'hello', caKey: key }).success).toBe(false);
    expect(ImportCaBody.safeParse({ caCertificate: cert }).success).toBe(false);
    expect(ImportCaBody.safeParse({ caCertificate: cert + 'A'.repeat(20_000), caKey: key }).success).toBe(false);
  });
  it('validates uuid path params', () => {
    expect(DeviceParams.safeParse({ deviceId: good.deviceId }).success).toBe(true);
    expect(DeviceParams.safeParse({ deviceId: '..' }).success).toBe(false);
    expect(ProjectParams.safeParse({ projectId: good.projectId }).success).toBe(true);
    expect(ProjectParams.safeParse({ projectId: 'project-1' }).success).toBe(false);
  });
});

describe('AnyInviteBody', () => {
  it('names the field at fault, for the kind of invite meant', () => {
    const paths = (body: unknown) => AnyInviteBody.safeParse(body).error?.issues.map((i) => i.path.join('.'));
    expect(paths({ role: 'owner', maxUses: 1, expiresInSeconds: 600 })).toEqual(['role']);
    expect(paths({ kind: 'member', role: 'admin', maxUses: 0, expiresInSeconds: 600 })).toEqual(['maxUses']);
    expect(paths({ kind: 'device', maxUses: 1, expiresInSeconds: 0 })).toEqual(['expiresInSeconds']);
    expect(paths({ kind: 'guest', maxUses: 1, expiresInSeconds: 600 })).toEqual(['kind']);
    expect(AnyInviteBody.parse({ role: 'admin', maxUses: 1, expiresInSeconds: 600 })).toMatchObject({ role: 'admin' });
    expect(AnyInviteBody.parse({ kind: 'device', maxUses: 2, expiresInSeconds: 600 })).toMatchObject({ kind: 'device' });
  });
});
