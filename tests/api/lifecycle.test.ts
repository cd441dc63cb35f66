// The device lifecycle through the function: revocation that reaches peers
// (the blocklist in every nebula.yml, ETag polling), renewal, key rotation,
// heartbeats and the online state. Real Deno, real Postgres.
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { unzipBundle } from '../../supabase/functions/_shared/bundle/index.ts';
import { parseCertificatePem } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { useApi } from '../support/api.ts';
import { newDeviceKey, useTeam } from './helpers.ts';

const api = useApi();
const team = useTeam(api, 'lc', 'Lifecycle');

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string } };
  headers: Headers;
}

async function call(token: string, method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await api.fetch(path, {
    method,
    token,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Answer['body'] = {};
  try {
    parsed = JSON.parse(text) as Answer['body'];
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

async function register(token: string, name = 'device'): Promise<{ deviceId: string; fingerprint: string; ip: string; bundle: string }> {
  const key = await newDeviceKey();
  const deviceId = crypto.randomUUID();
  const res = await call(token, 'POST', 'register', { projectId: team.projectId, deviceId, deviceName: name, publicKey: key.publicKeyPem });
  expect(res.status).toBe(200);
  return { deviceId, fingerprint: res.body.fingerprint as string, ip: res.body.ip as string, bundle: res.body.bundle as string };
}

function configOf(bundle: string): { pki: { blocklist: string[]; disconnect_invalid: boolean } } {
  const files = unzipBundle(Uint8Array.from(Buffer.from(bundle, 'base64')));
  return YAML.parse(new TextDecoder().decode(files['nebula.yml']!)) as { pki: { blocklist: string[]; disconnect_invalid: boolean } };
}

describe('revocation reaches peers', () => {
  it('POST /revoke puts the certificate on the blocklist of every config, releases the IP, and the device stays revoked', async () => {
    const a = await register(team.tokens.owner, 'peer A');
    const b = await register(team.tokens.member, 'peer B');
    const before = await call(team.tokens.owner, 'GET', `config/${a.deviceId}`);
    expect(before.status).toBe(200);
    const etag = before.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await call(team.tokens.owner, 'GET', `config/${a.deviceId}`, undefined, { 'if-none-match': etag })).status).toBe(304);

    // The device's owner may revoke it; an outsider may not.
    expect([403, 404]).toContain((await call(team.tokens.nonMember, 'POST', `revoke/${b.deviceId}`)).status);
    const revoked = await call(team.tokens.member, 'POST', `revoke/${b.deviceId}?reason=stolen`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ deviceId: b.deviceId, projectId: team.projectId, revokedCertificates: 1, releasedIp: b.ip });

    // A's config changed: the ETag no longer matches, and B's fingerprint is blocked.
    const after = await call(team.tokens.owner, 'GET', `config/${a.deviceId}`, undefined, { 'if-none-match': etag });
    expect(after.status).toBe(200);
    const yaml = YAML.parse(after.body.text as string) as { pki: { blocklist: string[]; disconnect_invalid: boolean } };
    expect(yaml.pki.blocklist).toContain(b.fingerprint);
    expect(yaml.pki.disconnect_invalid).toBe(true);
    // A new device's bundle carries it too.
    expect(configOf((await register(team.tokens.owner, 'peer C')).bundle).pki.blocklist).toContain(b.fingerprint);

    // Revoked for good: no renewal, no config, no heartbeat, no registration; revoking again changes nothing.
    expect(await codeOf(call(team.tokens.member, 'POST', `renew/${b.deviceId}`))).toEqual([410, 'device_revoked']);
    expect(await codeOf(call(team.tokens.member, 'GET', `config/${b.deviceId}`))).toEqual([410, 'device_revoked']);
    expect(await codeOf(call(team.tokens.member, 'POST', `heartbeat/${b.deviceId}`))).toEqual([410, 'device_revoked']);
    const key = await newDeviceKey();
    expect(await codeOf(call(team.tokens.member, 'POST', 'register', { projectId: team.projectId, deviceId: b.deviceId, deviceName: 'again', publicKey: key.publicKeyPem }))).toEqual([
      410,
      'device_revoked',
    ]);
    expect((await call(team.tokens.owner, 'POST', `revoke/${b.deviceId}`)).body).toMatchObject({ revokedCertificates: 0, releasedIp: null });
    const status = await call(team.tokens.owner, 'GET', `status/${b.deviceId}`);
    expect(status.body).toMatchObject({ ip: null, online: false });
    expect(status.body.revokedAt).toEqual(expect.any(String));
  });

  it('a plain member may not revoke another member\'s device; release revokes too', async () => {
    const mine = await register(team.tokens.owner, 'owner device');
    expect(await codeOf(call(team.tokens.member, 'POST', `revoke/${mine.deviceId}`))).toEqual([403, 'forbidden']);
    const d = await register(team.tokens.member, 'released');
    expect((await call(team.tokens.member, 'POST', `release/${d.deviceId}`)).status).toBe(200);
    const [row] = await api.sql<{ revoked_at: Date | null }[]>`select revoked_at from vidsync.issued_certificates where fingerprint = ${d.fingerprint}`;
    expect(row!.revoked_at).not.toBeNull();
    expect(await codeOf(call(team.tokens.member, 'POST', `renew/${d.deviceId}`))).toEqual([410, 'device_revoked']);
    // Released, not revoked: registering again works, with a new certificate.
    const key = await newDeviceKey();
    expect((await call(team.tokens.member, 'POST', 'register', { projectId: team.projectId, deviceId: d.deviceId, deviceName: 'back', publicKey: key.publicKeyPem })).status).toBe(200);
  });

  it('re-registering with a new public key revokes the previous certificate', async () => {
    const d = await register(team.tokens.member, 'rekeyed');
    const key = await newDeviceKey();
    const again = await call(team.tokens.member, 'POST', 'register', { projectId: team.projectId, deviceId: d.deviceId, deviceName: 'rekeyed', publicKey: key.publicKeyPem });
    expect(again.status).toBe(200);
    expect(again.body.ip).toBe(d.ip);
    expect(configOf(again.body.bundle as string).pki.blocklist).toContain(d.fingerprint);
    expect(configOf(again.body.bundle as string).pki.blocklist).not.toContain(again.body.fingerprint);
  });
});

describe('renewal', () => {
  it('signs a new certificate for the same IP and name, idempotent within the window; a new key rotates and revokes the old', async () => {
    const d = await register(team.tokens.member, 'renewing');
    // Signing is deterministic to the second: within the registration's second a renewal is that very certificate.
    await new Promise((r) => setTimeout(r, 1100));
    const first = await call(team.tokens.member, 'POST', `renew/${d.deviceId}`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ deviceId: d.deviceId, ip: d.ip });
    const files = unzipBundle(Uint8Array.from(Buffer.from(first.body.bundle as string, 'base64')));
    const cert = parseCertificatePem(new TextDecoder().decode(files['node.crt']!));
    expect(cert.details.name).toBe('renewing');
    expect(first.body.fingerprint).not.toBe(d.fingerprint);
    // A retry within the window: the very same certificate.
    const retry = await call(team.tokens.member, 'POST', `renew/${d.deviceId}`);
    expect(retry.body.fingerprint).toBe(first.body.fingerprint);

    const key = await newDeviceKey();
    const rotated = await call(team.tokens.member, 'POST', `renew/${d.deviceId}`, { publicKey: key.publicKeyPem });
    expect(rotated.status).toBe(200);
    expect(rotated.body.fingerprint).not.toBe(first.body.fingerprint);
    const rotatedCert = parseCertificatePem(new TextDecoder().decode(unzipBundle(Uint8Array.from(Buffer.from(rotated.body.bundle as string, 'base64')))['node.crt']!));
    expect(Buffer.from(rotatedCert.details.publicKey).equals(Buffer.from(key.publicKey))).toBe(true);
    expect(configOf(rotated.body.bundle as string).pki.blocklist).toContain(first.body.fingerprint);
    // The registration's certificate (old key) was revoked by the rotation as well.
    expect(configOf(rotated.body.bundle as string).pki.blocklist).toContain(d.fingerprint);
  });

  it('refuses bad keys with 400 and other people\'s devices with 403/404', async () => {
    const d = await register(team.tokens.member, 'guarded');
    expect((await call(team.tokens.member, 'POST', `renew/${d.deviceId}`, { publicKey: 'not a key' })).status).toBe(400);
    expect([403, 404]).toContain((await call(team.tokens.nonMember, 'POST', `renew/${d.deviceId}`)).status);
    expect((await call(team.tokens.owner, 'POST', `renew/${d.deviceId}`)).status).toBe(200);
  });
});

describe('heartbeat and online state', () => {
  it('records what the agent reports, coalesces floods, and status shows online', async () => {
    const d = await register(team.tokens.member, 'beating');
    await api.sql`update vidsync.devices set last_seen_at = now() - interval '1 hour' where id = ${d.deviceId}`;
    expect((await call(team.tokens.member, 'GET', `status/${d.deviceId}`)).body.online).toBe(false);
    const info = { nebulaVersion: '1.6.1', agentVersion: '0.1.0', fingerprint: d.fingerprint, underlay: ['192.0.2.10:4242'] };
    const beat = await call(team.tokens.member, 'POST', `heartbeat/${d.deviceId}`, info);
    expect(beat.status).toBe(200);
    expect(beat.body).toMatchObject({ recorded: true, intervalSeconds: 60 });
    const again = await call(team.tokens.member, 'POST', `heartbeat/${d.deviceId}`, info);
    expect(again.body).toMatchObject({ recorded: false, lastSeenAt: beat.body.lastSeenAt });
    // A new device's first report is written even right after registering (which counts as a sighting).
    const fresh = await register(team.tokens.member, 'fresh');
    expect((await call(team.tokens.member, 'POST', `heartbeat/${fresh.deviceId}`, info)).body).toMatchObject({ recorded: true });
    expect((await call(team.tokens.member, 'POST', `heartbeat/${fresh.deviceId}`, info)).body).toMatchObject({ recorded: false });
    const status = await call(team.tokens.owner, 'GET', `status/${d.deviceId}`);
    expect(status.body).toMatchObject({ online: true, lastSeenAt: beat.body.lastSeenAt });
    const [row] = await api.sql<{ heartbeat: unknown }[]>`select heartbeat from vidsync.devices where id = ${d.deviceId}`;
    expect(row!.heartbeat).toEqual(info);
    expect((await call(team.tokens.member, 'POST', `heartbeat/${d.deviceId}`, { nebulaVersion: 'has spaces' })).status).toBe(400);
    expect((await call(team.tokens.nonMember, 'POST', `heartbeat/${d.deviceId}`, {})).status).toBe(404);
    expect(team.users.member.id).toBeTruthy();
  });
});

async function codeOf(answer: Promise<Answer>): Promise<[number, string | undefined]> {
  const a = await answer;
  return [a.status, a.body.error?.code];
}
