// Device names at the API: unique per project as a person reads them (409
// device_name_taken, also when registrations race), and never carrying an
// invisible or bidirectional control character (400).
import { beforeAll, describe, expect, it } from 'vitest';
import { useApi } from '../support/api.ts';
import { createProject, newDeviceKey } from './helpers.ts';

const api = useApi();
let token: string;

beforeAll(async () => {
  token = (await api.user('names')).accessToken;
});

async function register(projectId: string, deviceName: string): Promise<{ status: number; code?: string; message?: string }> {
  const key = await newDeviceKey();
  const res = await api.fetch('register', {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ projectId, deviceId: crypto.randomUUID(), deviceName, publicKey: key.publicKeyPem }),
  });
  const body = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, code: body.error?.code, message: body.error?.message };
}

describe('device names at the API', () => {
  it('a second "Studio iMac" in a project, however it is spelled, is 409 device_name_taken', async () => {
    const { projectId } = await createProject(api.client(token), 'Names');
    expect((await register(projectId, 'Studio iMac')).status).toBe(200);
    for (const name of ['studio imac', 'ＳＴＵＤＩＯ iMac', 'Studio  iMac']) {
      expect({ name, ...(await register(projectId, name)) }).toMatchObject({ name, status: 409, code: 'device_name_taken' });
    }
    const other = await createProject(api.client(token), 'Other names');
    expect((await register(other.projectId, 'Studio iMac')).status).toBe(200);
  });

  it('registrations racing for one name: one 200, every other 409 device_name_taken, no internal detail', async () => {
    const { projectId } = await createProject(api.client(token), 'Race for a name');
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => register(projectId, 'Render node')));
    expect(outcomes.filter((o) => o.status === 200)).toHaveLength(1);
    for (const o of outcomes.filter((o) => o.status !== 200)) {
      expect(o).toMatchObject({ status: 409, code: 'device_name_taken' });
      expect(o.message).not.toMatch(/constraint|unique|index|devices_/i);
    }
  });

  it.each([
    ['a zero-width space', 'Studio\u200BiMac'],
    ['a right-to-left override', 'invoice\u202Efdp.exe'],
    ['a zero-width joiner', 'a\u200Db'],
    ['a variation selector', 'heart\uFE0F'],
    ['a Hangul filler', '\u3164'],
    ['only spaces', '\u3000\u00A0'],
  ])('a name with %s is 400 validation_failed', async (_what, name) => {
    const { projectId } = await createProject(api.client(token), `Refused ${crypto.randomUUID().slice(0, 6)}`);
    expect(await register(projectId, name)).toMatchObject({ status: 400, code: 'validation_failed' });
    const [row] = await api.sql<{ n: number }[]>`select count(*)::int as n from vidsync.devices where project_id = ${projectId}`;
    expect(row!.n).toBe(0);
  });
});
