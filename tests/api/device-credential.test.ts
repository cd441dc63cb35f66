// A device's own credential: requests signed with its Ed25519 API key on the
// device-scoped routes, and each way a signed request must be refused, with
// its own code: expired timestamp, wrong device, altered body, replay,
// revoked device.
import { beforeAll, describe, expect, it } from 'vitest';
import { signDeviceRequest } from '../../supabase/functions/_shared/auth/device-signature.ts';
import { generateEd25519KeyPair } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { useApi } from '../support/api.ts';
import { createOwnedProject, registerSigningDevice } from './helpers.ts';
import type { SigningDevice } from './helpers.ts';

const api = useApi();
let token: string;
let projectId: string;

type Device = SigningDevice;

beforeAll(async () => {
  ({ token, projectId } = await createOwnedProject(api, 'device-owner', 'Headless'));
});

const device = (): Promise<Device> => registerSigningDevice(api, token, projectId);

/** A request signed by `signer` for `path`; `sentBody` differs from the signed one to simulate tampering. */
async function signed(
  signer: Device,
  method: 'GET' | 'POST',
  path: string,
  opts: { body?: string; sentBody?: string; now?: number; header?: string } = {},
): Promise<{ status: number; code?: string; header: string; requestId: string | null; body: Record<string, unknown> }> {
  const body = opts.body === undefined ? undefined : new TextEncoder().encode(opts.body);
  const header = opts.header ?? (await signDeviceRequest({ deviceId: signer.id, privateKey: signer.privateKey }, { method, pathAndQuery: `/nebula/${path}`, body }, opts.now));
  const sent = opts.sentBody ?? opts.body;
  const res = await api.fetch(path, {
    method,
    headers: { authorization: header, ...(sent === undefined ? {} : { 'content-type': 'application/json' }) },
    body: sent,
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown> & { error?: { code: string } };
  return { status: res.status, code: json.error?.code, header, requestId: res.headers.get('x-request-id'), body: json };
}

describe('device-signed requests', () => {
  it('are accepted on the device\'s own status, config, heartbeat and renew', async () => {
    const d = await device();
    expect((await signed(d, 'GET', `status/${d.id}`)).status).toBe(200);
    const config = await api.fetch(`config/${d.id}`, {
      headers: { authorization: await signDeviceRequest({ deviceId: d.id, privateKey: d.privateKey }, { method: 'GET', pathAndQuery: `/nebula/config/${d.id}` }) },
    });
    expect(config.status).toBe(200);
    expect(await config.text()).toContain('blocklist');
    expect(await signed(d, 'POST', `heartbeat/${d.id}`, { body: JSON.stringify({ agentVersion: '0.1.0' }) })).toMatchObject({ status: 200, body: { recorded: true } });
    const renewed = await signed(d, 'POST', `renew/${d.id}`);
    // The audit log names the device as the actor, not the service role it acts as.
    const [row] = await api.sql`select actor_kind, actor_id from vidsync.audit_log where request_id = ${renewed.requestId}`;
    expect(row).toEqual({ actor_kind: 'device', actor_id: d.id });
    expect(renewed.status).toBe(200);
    expect(renewed.body.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses an expired timestamp (401 signature_expired)', async () => {
    const d = await device();
    expect(await signed(d, 'GET', `status/${d.id}`, { now: Date.now() - 6 * 60_000 })).toMatchObject({ status: 401, code: 'signature_expired' });
    expect(await signed(d, 'GET', `status/${d.id}`, { now: Date.now() + 6 * 60_000 })).toMatchObject({ status: 401, code: 'signature_expired' });
  });

  it('refuses a request for another device (403 device_mismatch) and a key that is not the device\'s (401 signature_invalid)', async () => {
    const a = await device();
    const b = await device();
    expect(await signed(a, 'GET', `status/${b.id}`)).toMatchObject({ status: 403, code: 'device_mismatch' });
    // b's name with a's key.
    expect(await signed({ id: b.id, privateKey: a.privateKey }, 'GET', `status/${b.id}`)).toMatchObject({ status: 401, code: 'signature_invalid' });
  });

  it('refuses an altered body (401 signature_invalid)', async () => {
    const d = await device();
    const r = await signed(d, 'POST', `heartbeat/${d.id}`, { body: '{"agentVersion":"0.1.0"}', sentBody: '{"agentVersion":"6.6.6"}' });
    expect(r).toMatchObject({ status: 401, code: 'signature_invalid' });
  });

  it('refuses a replay (401 signature_replayed)', async () => {
    const d = await device();
    const first = await signed(d, 'GET', `status/${d.id}`);
    expect(first.status).toBe(200);
    expect(await signed(d, 'GET', `status/${d.id}`, { header: first.header })).toMatchObject({ status: 401, code: 'signature_replayed' });
  });

  it('refuses a revoked device at once (403 credential_revoked), and device signatures on user-only routes (401)', async () => {
    const d = await device();
    expect(await signed(d, 'POST', `revoke/${d.id}`)).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(await signed(d, 'POST', `credential/${d.id}`, { body: '{"apiKey":null}' })).toMatchObject({ status: 401, code: 'unauthorized' });
    const revoke = await api.fetch(`revoke/${d.id}`, { method: 'POST', token });
    expect(revoke.status).toBe(200);
    expect(await signed(d, 'GET', `status/${d.id}`)).toMatchObject({ status: 403, code: 'credential_revoked' });
    expect(await signed(d, 'POST', `heartbeat/${d.id}`)).toMatchObject({ status: 403, code: 'credential_revoked' });
  });

  it('refuses malformed headers and devices without a key (401 signature_invalid)', async () => {
    const d = await device();
    for (const header of ['VidSync-Device nonsense', `VidSync-Device device=${d.id},ts=1,nonce=short,sig=AAAA`]) {
      expect(await signed(d, 'GET', `status/${d.id}`, { header })).toMatchObject({ status: 401, code: 'signature_invalid' });
    }
    await api.sql`update vidsync.devices set api_public_key = null where id = ${d.id}`;
    expect(await signed(d, 'GET', `status/${d.id}`)).toMatchObject({ status: 401, code: 'signature_invalid' });
  });

  it('tell nobody without the device\'s key whether a device exists, has a key or is revoked: one 401 for all', async () => {
    const real = await device();
    const keyless = await device();
    await api.sql`update vidsync.devices set api_public_key = null where id = ${keyless.id}`;
    const revoked = await device();
    expect((await api.fetch(`revoke/${revoked.id}`, { method: 'POST', token })).status).toBe(200);
    const stranger = await generateEd25519KeyPair();
    const answers = [];
    for (const id of [real.id, keyless.id, revoked.id, crypto.randomUUID()]) {
      const r = await signed({ id, privateKey: stranger.privateKey }, 'GET', `status/${id}`);
      answers.push({ status: r.status, code: r.code, message: (r.body.error as { message?: string } | undefined)?.message });
    }
    const malformed = await signed(real, 'GET', `status/${real.id}`, { header: `VidSync-Device device=${real.id},ts=1,nonce=short,sig=AAAA` });
    answers.push({ status: malformed.status, code: malformed.code, message: (malformed.body.error as { message?: string } | undefined)?.message });
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toMatchObject({ status: 401, code: 'signature_invalid' });
    // The revoked device's own key still learns it is revoked.
    expect(await signed(revoked, 'GET', `status/${revoked.id}`)).toMatchObject({ status: 403, code: 'credential_revoked' });
  });
});
