// Folder sync state in the heartbeat (issue 13 §2): POST /heartbeat's
// `folders` is validated at the edge (400) and in SQL (VS005), stored per
// device and shown in GET /status/:deviceId and GET /projects/:projectId.
// Inside the 10 s no-write window a report is written only when a folder's
// state or error count changed, not for completion alone. Real Deno, real Postgres.
import { describe, expect, it } from 'vitest';
import { MAX_SYNC_FOLDERS } from '../../supabase/functions/_shared/limits.ts';
import { useApi } from '../support/api.ts';
import { callWith, newDeviceKey, useTeam } from './helpers.ts';

const api = useApi();
const team = useTeam(api, 'hf', 'Folders');

async function register(token: string, name: string): Promise<string> {
  const deviceId = crypto.randomUUID();
  const res = await callWith(api, token, 'POST', 'register', { projectId: team.projectId, deviceId, deviceName: name, publicKey: (await newDeviceKey()).publicKeyPem });
  expect(res.status).toBe(200);
  return deviceId;
}

const syncing = { folderId: 'videos', label: 'Videos', state: 'syncing', completion: 42.5, errors: 0, needBytes: 1_000_000 };

describe('heartbeat folders', () => {
  it('stores the report and shows it in GET /status and the project view, to members only', async () => {
    const d = await register(team.tokens.member, 'folders device');
    const beat = await callWith(api, team.tokens.member, 'POST', `heartbeat/${d}`, { agentVersion: '0.1.0', folders: [syncing] });
    expect(beat.status).toBe(200);
    expect(beat.json).toMatchObject({ recorded: true });
    expect((await callWith(api, team.tokens.owner, 'GET', `status/${d}`)).json.folders).toEqual([syncing]);
    const project = await callWith(api, team.tokens.member, 'GET', `projects/${team.projectId}`);
    const row = (project.json.devices as { deviceId: string; folders: unknown }[]).find((x) => x.deviceId === d);
    expect(row!.folders).toEqual([syncing]);
    // Stored apart from the rest of the heartbeat.
    const [stored] = await api.sql<{ heartbeat: Record<string, unknown> }[]>`select heartbeat from vidsync.devices where id = ${d}`;
    expect(stored!.heartbeat).toEqual({ agentVersion: '0.1.0' });
    expect((await callWith(api, team.tokens.nonMember, 'GET', `status/${d}`)).status).toBe(404);
  });

  it('inside the 10 s window, writes a state change at once but not a completion change', async () => {
    const d = await register(team.tokens.member, 'window device');
    expect((await callWith(api, team.tokens.member, 'POST', `heartbeat/${d}`, { folders: [syncing] })).json).toMatchObject({ recorded: true });
    // Only the percentage moved: not written.
    expect((await callWith(api, team.tokens.member, 'POST', `heartbeat/${d}`, { folders: [{ ...syncing, completion: 80 }] })).json).toMatchObject({ recorded: false });
    expect((await callWith(api, team.tokens.member, 'GET', `status/${d}`)).json.folders).toEqual([syncing]);
    // syncing -> idle: written within the window.
    const idle = { folderId: 'videos', label: 'Videos', state: 'idle', completion: 100, errors: 0, needBytes: 0 };
    expect((await callWith(api, team.tokens.member, 'POST', `heartbeat/${d}`, { folders: [idle] })).json).toMatchObject({ recorded: true });
    expect((await callWith(api, team.tokens.member, 'GET', `status/${d}`)).json.folders).toEqual([idle]);
    // An error count change too; and a report without folders (none shared any more) clears them.
    const failing = { ...idle, state: 'error', errors: 3, error: 'folder marker missing' };
    expect((await callWith(api, team.tokens.member, 'POST', `heartbeat/${d}`, { folders: [failing] })).json).toMatchObject({ recorded: true });
    expect((await callWith(api, team.tokens.member, 'POST', `heartbeat/${d}`, {})).json).toMatchObject({ recorded: true });
    expect((await callWith(api, team.tokens.member, 'GET', `status/${d}`)).json.folders).toEqual([]);
  });

  it('refuses malformed reports with 400 validation_failed, and writes nothing', async () => {
    const d = await register(team.tokens.member, 'bad input device');
    const bad: unknown[] = [
      [{ ...syncing, state: 'dancing' }],
      [{ ...syncing, completion: 100.5 }],
      [{ ...syncing, completion: -1 }],
      [{ ...syncing, errors: 1.5 }],
      [{ ...syncing, folderId: '' }],
      [{ ...syncing, folderId: '../etc' }],
      [{ ...syncing, folderId: 'x'.repeat(65) }],
      [{ ...syncing, label: 'evil\u202Egpj.exe' }],
      [{ ...syncing, extra: true }],
      [{ ...syncing, needBytes: -5 }],
      [syncing, syncing],
      Array.from({ length: MAX_SYNC_FOLDERS + 1 }, (_, i) => ({ ...syncing, folderId: `f${i}` })),
      'videos',
    ];
    for (const folders of bad) {
      const res = await callWith(api, team.tokens.member, 'POST', `heartbeat/${d}`, { folders });
      expect({ folders, status: res.status, code: res.code }).toMatchObject({ status: 400, code: 'validation_failed' });
    }
    const [row] = await api.sql<{ sync_folders: unknown; heartbeat: unknown }[]>`select sync_folders, heartbeat from vidsync.devices where id = ${d}`;
    expect(row).toEqual({ sync_folders: [], heartbeat: null });
    const many = Array.from({ length: MAX_SYNC_FOLDERS }, (_, i) => ({ ...syncing, folderId: `f${i}` }));
    expect((await callWith(api, team.tokens.member, 'POST', `heartbeat/${d}`, { folders: many })).status).toBe(200);
  });
});
