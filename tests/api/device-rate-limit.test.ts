// Device-signed requests draw from a token bucket of their own device (the
// user scope of vidsync.rate_limits, the device id as subject): a device
// that signs faster than the limit gets 429 rate_limited like a user would.
// A database of its own with a small write limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDeviceRequest } from '../../supabase/functions/_shared/auth/device-signature.ts';
import { bytesToBase64 } from '../../supabase/functions/_shared/base64.ts';
import { generateEd25519KeyPair } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { freshDatabase } from '../support/db.ts';
import type { FreshDatabase } from '../support/db.ts';
import { createProject, newDeviceKey } from './helpers.ts';

const LIMIT = 4;
let db: FreshDatabase;
let api: ApiHarness;

beforeAll(async () => {
  db = await freshDatabase();
  await db.sql`update vidsync.rate_limits set capacity = ${LIMIT}, refill_per_second = 0.001 where route_class = 'write' and scope = 'user'`;
  api = await startApi({ dbUrl: db.url });
});
afterAll(async () => {
  await api?.stop();
  await db?.drop();
});

describe('device-signed requests', () => {
  it('are rate-limited per device (429 rate_limited beyond the bucket)', async () => {
    const token = (await api.user('fleet')).accessToken;
    const { projectId } = await createProject(api.client(token), 'Fleet');
    const deviceId = crypto.randomUUID();
    const key = await newDeviceKey();
    const reg = await api.fetch('register', {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ projectId, deviceId, deviceName: 'nas', publicKey: key.publicKeyPem }),
    });
    expect(reg.status).toBe(200);
    const apiKey = await generateEd25519KeyPair();
    const set = await api.fetch(`credential/${deviceId}`, {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey: bytesToBase64(apiKey.publicKey) }),
    });
    expect(set.status).toBe(200);

    const statuses: number[] = [];
    let last: { error?: { code?: string } } = {};
    for (let i = 0; i < LIMIT + 2; i++) {
      const body = new TextEncoder().encode(JSON.stringify({ agentVersion: '0.1.0' }));
      const authorization = await signDeviceRequest({ deviceId, privateKey: apiKey.privateKey }, { method: 'POST', pathAndQuery: `/nebula/heartbeat/${deviceId}`, body });
      const res = await api.fetch(`heartbeat/${deviceId}`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body });
      statuses.push(res.status);
      last = (await res.json()) as typeof last;
    }
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(200));
    expect(statuses.slice(LIMIT)).toEqual([429, 429]);
    expect(last.error?.code).toBe('rate_limited');
  }, 60_000);
});
