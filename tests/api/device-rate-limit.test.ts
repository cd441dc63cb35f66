// Device-signed requests draw from a token bucket of their own device (the
// user scope of vidsync.rate_limits, the device id as subject): a device
// that signs faster than the limit gets 429 rate_limited like a user would.
// A database of its own with a small write limit.
import { describe, expect, it } from 'vitest';
import { signDeviceRequest } from '../../supabase/functions/_shared/auth/device-signature.ts';
import { useApi } from '../support/api.ts';
import { createOwnedProject, registerSigningDevice } from './helpers.ts';

const LIMIT = 4;
const api = useApi({
  ownDatabase: (sql) => sql`update vidsync.rate_limits set capacity = ${LIMIT}, refill_per_second = 0.001 where route_class = 'write' and scope = 'user'`,
});

describe('device-signed requests', () => {
  it('are rate-limited per device (429 rate_limited beyond the bucket)', async () => {
    const { token, projectId } = await createOwnedProject(api, 'fleet', 'Fleet');
    const { id: deviceId, privateKey } = await registerSigningDevice(api, token, projectId, crypto.randomUUID(), 'nas');

    const statuses: number[] = [];
    let last: { error?: { code?: string } } = {};
    for (let i = 0; i < LIMIT + 2; i++) {
      const body = new TextEncoder().encode(JSON.stringify({ agentVersion: '0.1.0' }));
      const authorization = await signDeviceRequest({ deviceId, privateKey }, { method: 'POST', pathAndQuery: `/nebula/heartbeat/${deviceId}`, body });
      const res = await api.fetch(`heartbeat/${deviceId}`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body });
      statuses.push(res.status);
      last = (await res.json()) as typeof last;
    }
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(200));
    expect(statuses.slice(LIMIT)).toEqual([429, 429]);
    expect(last.error?.code).toBe('rate_limited');
  }, 60_000);
});
