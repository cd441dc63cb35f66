// POST /devices/:deviceId/address — an owner or admin pins a device to a
// chosen free address of the pool: the device moves, its old address cools,
// and the answer carries a certificate for the new address. Each refusal has
// its own code; a plain member is refused (403), a non-member hears 404.
// Real Deno, real Postgres.
import { describe, expect, it } from 'vitest';
import { unzipBundle } from '../../supabase/functions/_shared/bundle/index.ts';
import { parseCertificatePem } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { useApi } from '../support/api.ts';
import { callWith, newDeviceKey, useTeam } from './helpers.ts';

const api = useApi();
const team = useTeam(api, 'pin', 'Pins', '10.88.0.0/16');

async function register(token = team.tokens.member): Promise<{ deviceId: string; ip: string }> {
  const key = await newDeviceKey();
  const deviceId = crypto.randomUUID();
  const res = await callWith(api, token, 'POST', 'register', { projectId: team.projectId, deviceId, deviceName: `d-${deviceId.slice(0, 8)}`, publicKey: key.publicKeyPem });
  expect(res.status).toBe(200);
  return { deviceId, ip: res.json.ip as string };
}

const pin = (token: string, deviceId: string, body: unknown) => callWith(api, token, 'POST', `devices/${deviceId}/address`, body);

function certIpOf(bundle: unknown): string {
  const cert = parseCertificatePem(new TextDecoder().decode(unzipBundle(Uint8Array.from(Buffer.from(bundle as string, 'base64')))['node.crt']!));
  return cert.details.ips.map((ip) => `${ip.address}/${ip.prefix}`).join(',');
}

describe('POST /devices/:deviceId/address', () => {
  it('an admin pins a member\'s device to an address in a chunk not written yet: a certificate for it, status shows it, renewal keeps it', async () => {
    const d = await register();
    const res = await pin(team.tokens.admin, d.deviceId, { ip: '10.88.200.9' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ deviceId: d.deviceId, ip: '10.88.200.9', previousIp: d.ip, cidr: '10.88.200.9/16' });
    expect(certIpOf(res.json.bundle)).toBe('10.88.200.9/16');
    const status = await callWith(api, team.tokens.member, 'GET', `status/${d.deviceId}`);
    expect(status.json).toMatchObject({ ip: '10.88.200.9', fingerprint: res.json.fingerprint });
    const renewed = await callWith(api, team.tokens.member, 'POST', `renew/${d.deviceId}`);
    expect(renewed.status).toBe(200);
    expect(certIpOf(renewed.json.bundle)).toBe('10.88.200.9/16');
    // The old address cools: nobody may take it now.
    const other = await register();
    expect((await pin(team.tokens.owner, other.deviceId, { ip: d.ip })).code).toBe('address_cooling');
  });

  it('after a pin in the SQL editor, the device\'s next renewal is for the new address (even within the retry window)', async () => {
    const d = await register();
    // A renewal in another second than the registration (in the same one it signs the identical certificate):
    // a retry of it within the window would get it back.
    await new Promise((r) => setTimeout(r, 1100));
    const first = await callWith(api, team.tokens.member, 'POST', `renew/${d.deviceId}`);
    expect(certIpOf(first.json.bundle)).toBe(`${d.ip}/16`);
    expect((await callWith(api, team.tokens.member, 'POST', `renew/${d.deviceId}`)).json.fingerprint).toBe(first.json.fingerprint);
    await api.sql`select * from vidsync_api.pin_device_address(${d.deviceId}, '10.88.201.1'::inet)`;
    const again = await callWith(api, team.tokens.member, 'POST', `renew/${d.deviceId}`);
    expect(again.status).toBe(200);
    expect(again.json.ip).toBe('10.88.201.1');
    expect(certIpOf(again.json.bundle)).toBe('10.88.201.1/16');
  });

  it('refusals: taken 409, cooling 409, out of the pool 400, network/broadcast 400, malformed 400; nothing moves', async () => {
    const a = await register();
    const b = await register();
    expect(await pin(team.tokens.owner, a.deviceId, { ip: b.ip })).toMatchObject({ status: 409, code: 'address_taken' });
    expect(await pin(team.tokens.owner, b.deviceId, { ip: '10.88.77.7' })).toMatchObject({ status: 200 });
    const cooling = await pin(team.tokens.owner, a.deviceId, { ip: b.ip });
    expect(cooling).toMatchObject({ status: 409, code: 'address_cooling' });
    // A time a person reads (UTC, to the second), and what to do.
    expect((cooling.json.error as { message: string }).message).toMatch(/^address [\d.]+ was released recently and is cooling until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: choose another address$/);
    expect(await pin(team.tokens.owner, a.deviceId, { ip: '10.89.0.1' })).toMatchObject({ status: 400, code: 'address_out_of_pool' });
    expect(await pin(team.tokens.owner, a.deviceId, { ip: '10.88.0.0' })).toMatchObject({ status: 400, code: 'address_reserved' });
    expect(await pin(team.tokens.owner, a.deviceId, { ip: '10.88.255.255' })).toMatchObject({ status: 400, code: 'address_reserved' });
    for (const body of [{ ip: '10.88.1.256' }, { ip: '10.88.1.1/16' }, { ip: '::1' }, { ip: 12 }, { ip: null }, {}, { ip: '10.88.1.2', extra: 1 }, 'x'.repeat(100), [1]]) {
      expect(await pin(team.tokens.owner, a.deviceId, body)).toMatchObject({ status: 400 });
    }
    expect((await callWith(api, team.tokens.owner, 'POST', `devices/${a.deviceId}/address`)).status).toBe(400);
    expect((await callWith(api, team.tokens.owner, 'POST', 'devices/not-a-uuid/address', { ip: '10.88.1.2' })).status).toBe(400);
    const status = await callWith(api, team.tokens.owner, 'GET', `status/${a.deviceId}`);
    expect(status.json.ip).toBe(a.ip);
  });

  it('who: owner, admin and service role may; a plain member may not, even for their own device (403); a non-member gets 404, as for an unknown device; anon 401', async () => {
    const d = await register();
    expect(await pin(team.tokens.member, d.deviceId, { ip: '10.88.90.1' })).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await pin(team.tokens.nonMember, d.deviceId, { ip: '10.88.90.1' })).toMatchObject({ status: 404, code: 'not_found' });
    expect(await pin(team.tokens.nonMember, crypto.randomUUID(), { ip: '10.88.90.1' })).toMatchObject({ status: 404, code: 'not_found' });
    expect((await pin(team.tokens.anon, d.deviceId, { ip: '10.88.90.1' })).status).toBe(401);
    expect(await pin(team.tokens.owner, d.deviceId, { ip: '10.88.90.1' })).toMatchObject({ status: 200 });
    expect((await pin(team.tokens.service, d.deviceId, { ip: '10.88.90.2' })).json).toMatchObject({ ip: '10.88.90.2', previousIp: '10.88.90.1' });
    expect((await pin(team.tokens.admin, d.deviceId, { ip: '10.88.90.3' })).json).toMatchObject({ ip: '10.88.90.3', previousIp: '10.88.90.2' });
  });

  it('a revoked device: 410', async () => {
    const d = await register();
    expect((await callWith(api, team.tokens.owner, 'POST', `revoke/${d.deviceId}`)).status).toBe(200);
    expect(await pin(team.tokens.owner, d.deviceId, { ip: '10.88.91.1' })).toMatchObject({ status: 410, code: 'device_revoked' });
  });
});
