// Where NebulaClient keeps a project's files, and what it does where it finds
// none. A newcomer's report: after register({ dir }), status() and renew()
// looked under baseDir instead, and renew() made a new key and device id there.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { NebulaClient } from '../../client/src/index.ts';
import { codeOf } from '../support/outcomes.ts';
import { useApi } from '../support/api.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { createProject } from '../api/helpers.ts';

const api = useApi();
const work = useTempDir('vidsync-sdk-dirs');
let token: string;
let projectId: string;
let otherProjectId: string;

beforeAll(async () => {
  token = (await api.user('dirs')).accessToken;
  const created = await Promise.all(['Dirs', 'Dirs 2'].map((name) => createProject(api.client(token), name)));
  projectId = created[0]!.projectId;
  otherProjectId = created[1]!.projectId;
});

const clientIn = (baseDir: string) => new NebulaClient({ supabase: api.client(token), baseDir: join(work.path, baseDir) });

describe('NebulaClient and its directories', () => {
  it('after register({ dir }), its other calls for that project use that directory', async () => {
    const nebula = clientIn('base-a');
    const dir = join(work.path, 'elsewhere');
    const reg = await nebula.register({ projectId, deviceName: 'custom dir', dir });
    expect(nebula.dirOf(projectId)).toBe(dir);
    expect(nebula.dirOf(projectId.toUpperCase())).toBe(dir);
    expect((await nebula.status(projectId)).ip).toBe(reg.ip);
    const renewed = await nebula.renew(projectId);
    expect({ dir: renewed.dir, deviceId: renewed.deviceId, ip: renewed.ip }).toEqual({ dir, deviceId: reg.deviceId, ip: reg.ip });
    expect(await readdir(join(work.path, 'base-a')).catch(() => [])).toEqual([]);
  });

  it('where nothing is registered: not_registered, and renew makes no key or device id', async () => {
    const nebula = clientIn('base-b');
    expect(await codeOf(nebula.status(projectId))).toBe('not_registered');
    expect(await codeOf(nebula.renew(projectId))).toBe('not_registered');
    expect(await readdir(join(work.path, 'base-b')).catch(() => [])).toEqual([]);
  });

  it('refuses to register a project into a directory that holds another project\'s device', async () => {
    const dir = join(work.path, 'shared');
    await clientIn('base-c').register({ projectId, deviceName: 'first', dir });
    const before = (await readdir(dir)).sort();
    expect(await codeOf(clientIn('base-c').register({ projectId: otherProjectId, deviceName: 'second', dir }))).toBe('validation_failed');
    expect((await readdir(dir)).sort()).toEqual(before);
  });
});
