// The SDK's browser-safe device actions (client/src/devices-admin.ts) against
// the real function: revoke, release and pin an address as a project's
// owner, refused for a plain member with the server's code; and the audit log
// through listAudit, filtered by action and by device before the page is cut
// (GET /audit/:projectId?action=…&deviceId=…), so every page is full and
// "load more" ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupabaseClient } from '@supabase/supabase-js';
import { isVidsyncError, listAudit, pinDeviceAddress, releaseDevice, revokeDevice } from '../../client/src/browser.ts';
import type { AuditEntry } from '../../client/src/browser.ts';
import { startApi } from '../support/api.ts';
import type { ApiHarness } from '../support/api.ts';
import { addMember, callWith, createProject, newDeviceKey } from '../api/helpers.ts';

let api: ApiHarness;
let owner: SupabaseClient;
let member: SupabaseClient;
let ownerToken: string;
let projectId: string;
let subnet: string;

async function register(token: string, name: string): Promise<{ deviceId: string; ip: string }> {
  const deviceId = crypto.randomUUID();
  const key = await newDeviceKey();
  const res = await callWith(api, token, 'POST', 'register', { projectId, deviceId, deviceName: name, publicKey: key.publicKeyPem });
  expect(res.status).toBe(200);
  return { deviceId, ip: res.json.ip as string };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return isVidsyncError(error) ? error.code : String(error);
  }
}

beforeAll(async () => {
  api = await startApi();
  const [o, m] = await Promise.all([api.user('admin-sdk-owner'), api.user('admin-sdk-member')]);
  ownerToken = o.accessToken;
  owner = api.client(o.accessToken);
  member = api.client(m.accessToken);
  ({ projectId, subnet } = await createProject(owner, 'Admin SDK'));
  await addMember(api.sql, projectId, m.id, 'member');
});
afterAll(() => api?.stop());

describe('device actions', () => {
  it('pins, releases and revokes as the owner; a member gets the server’s 403 code', async () => {
    const a = await register(ownerToken, 'Pinned');
    const b = await register(ownerToken, 'Released');
    const c = await register(ownerToken, 'Revoked');
    const base = subnet.split('/')[0]!.split('.').slice(0, 3).join('.');

    expect(await codeOf(pinDeviceAddress(member, a.deviceId, `${base}.200`))).toBe('forbidden');
    const pinned = await pinDeviceAddress(owner, a.deviceId, `${base}.200`);
    expect({ ip: pinned.ip, previousIp: pinned.previousIp }).toEqual({ ip: `${base}.200`, previousIp: a.ip });
    expect(await codeOf(pinDeviceAddress(owner, b.deviceId, `${base}.200`))).toBe('address_taken');

    const released = await releaseDevice(owner, b.deviceId, 'retired');
    expect(released).toMatchObject({ deviceId: b.deviceId, projectId, releasedIp: b.ip });

    expect(await codeOf(revokeDevice(member, c.deviceId))).toBe('forbidden');
    const revoked = await revokeDevice(owner, c.deviceId, 'stolen laptop');
    expect(revoked).toMatchObject({ deviceId: c.deviceId, projectId, releasedIp: c.ip });
    expect(revoked.revokedCertificates).toBeGreaterThanOrEqual(1);
  });
});

describe('listAudit', () => {
  it('reads newest first and filters by action and by device before paging', async () => {
    const all = await listAudit(owner, projectId, { limit: 500 });
    const ids = all.entries.map((e) => BigInt(e.id));
    expect(ids).toEqual([...ids].sort((x, y) => (x > y ? -1 : x < y ? 1 : 0)));
    expect(all.entries.at(-1)!.action).toBe('project.create');

    const registrations = await listAudit(owner, projectId, { action: 'device.register' });
    expect(registrations.entries.length).toBe(3);
    expect(registrations.entries.every((e) => e.action === 'device.register')).toBe(true);

    // One device's story, oldest last: registered, then revoked (with the member's refusal in between).
    const revokedId = all.entries.find((e) => e.action === 'device.revoke' && e.result === 'ok')!.deviceId!;
    const story = await listAudit(owner, projectId, { deviceId: revokedId });
    expect(story.entries.map((e) => `${e.action} ${e.result}`)).toEqual(['device.revoke ok', 'device.revoke forbidden', 'device.register ok']);

    // Pages of a filtered log are full pages, and the cursor ends.
    const seen: AuditEntry[] = [];
    let before: string | null = null;
    for (let i = 0; i < 5; i++) {
      const page = await listAudit(owner, projectId, { action: 'device.register', limit: 2, before });
      seen.push(...page.entries);
      before = page.nextBefore;
      if (before === null) break;
    }
    expect(seen.map((e) => e.id)).toEqual(registrations.entries.map((e) => e.id));
    expect(before).toBeNull();

    const both = await listAudit(owner, projectId, { action: 'device.register', deviceId: revokedId });
    expect(both.entries.map((e) => e.action)).toEqual(['device.register']);
  });

  it('refuses malformed filters with 400 validation_failed, and a member with 403', async () => {
    for (const query of ['?action=DROP%20TABLE', `?action=${'a'.repeat(65)}`, '?deviceId=not-a-uuid', '?action=device.']) {
      const res = await callWith(api, ownerToken, 'GET', `audit/${projectId}${query}`);
      expect({ query, status: res.status, code: res.code }).toEqual({ query, status: 400, code: 'validation_failed' });
    }
    expect(await codeOf(listAudit(member, projectId))).toBe('forbidden');
  });
});
