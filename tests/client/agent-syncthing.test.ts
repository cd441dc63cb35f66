// The agent's Syncthing part (client/src/agent/syncthing-sync.ts) against the
// function served by Deno and a real Syncthing 1.19 on loopback, without
// root or nebula: it tells the cloud its Syncthing ID, applies the project's
// peers (GET /peers with its ETag), shares its folder with them, reports
// the folder's state, and takes a revoked peer out of Syncthing.
//
// Nothing may leave this machine: the peer registered first holds the lower
// overlay IP, so this device waits to be dialled (`dynamic`, discovery off)
// and dials no overlay address; its listen address on the overlay cannot bind.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dialsPeer, NebulaClient } from '../../client/src/index.ts';
import { AgentSyncthing } from '../../client/src/agent/syncthing-sync.ts';
import { DeviceApi } from '../../client/src/agent/device-api.ts';
import type { StDevice, StFolder } from '../../client/src/syncthing/bridge.ts';
import { syncthingDeviceIdFromSha256 } from '../../supabase/functions/_shared/syncthing/index.ts';
import { binary, missing } from '../../scripts/e2e/requirements.ts';
import { useApi } from '../support/api.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { startLocalSyncthing, type LocalSyncthing } from '../support/syncthing-local.ts';
import { createOwnedProject } from '../api/helpers.ts';

const [PEER_ST_ID] = fc.sample(fc.uint8Array({ minLength: 32, maxLength: 32 }), { numRuns: 1, seed: 2026 }).map(syncthingDeviceIdFromSha256) as [string];

describe.skipIf(missing(binary('syncthing')))('AgentSyncthing: a local Syncthing kept in step with the project', () => {
  const api = useApi();
  const dir = useTempDir('vidsync-agent-st');
  let st: LocalSyncthing;
  let token: string;
  let agent: AgentSyncthing;
  let self: { deviceId: string; ip: string };
  let peer: { deviceId: string; ip: string };
  const log: string[] = [];
  let changes = 0;

  beforeAll(async () => {
    st = await startLocalSyncthing({ name: 'agent' });
    let projectId: string;
    ({ token, projectId } = await createOwnedProject(api, 'agst-owner', 'agent syncthing'));
    const client = new NebulaClient({ supabase: api.client(token), baseDir: dir.path });
    peer = await client.register({ projectId, deviceName: 'peer', dir: join(dir.path, 'peer'), syncthingDeviceId: PEER_ST_ID });
    self = await client.register({ projectId, deviceName: 'self', dir: join(dir.path, 'self') });
    agent = new AgentSyncthing({
      syncthing: { url: st.url, apiKey: st.apiKey, share: [{ folderId: 'videos', path: join(dir.path, 'videos'), label: 'Videos' }], peersPollSeconds: 1, folderPollSeconds: 1 },
      dir: join(dir.path, 'self'),
      api: new DeviceApi({ functionsUrl: api.functions.functionsUrl, deviceId: self.deviceId, accessToken: async () => token }),
      log: (line) => log.push(line),
      onChange: () => changes++,
      onRevoked: async () => false,
    });
  }, 60_000);

  afterAll(async () => {
    agent?.stop();
    await st?.stop();
  });

  it('this device waits to be dialled (the precondition for staying on loopback)', () => {
    expect(dialsPeer(self.ip, peer.ip)).toBe(false);
  });

  it('sets its Syncthing ID with the cloud, adds the peer, shares the folder with it, and reports the folder', async () => {
    agent.start();
    await until(() => agent.state.configuredAt !== undefined && agent.state.folders.length === 1, 20_000, () => log.join('\n'));
    const [row] = await api.sql<{ syncthing_device_id: string }[]>`select syncthing_device_id from vidsync.devices where id = ${self.deviceId}`;
    expect(row!.syncthing_device_id).toBe(st.deviceId);
    expect(agent.state).toMatchObject({ deviceId: st.deviceId, peers: 1 });

    const config = await st.rest<{ devices: StDevice[]; folders: StFolder[] }>('/rest/config');
    expect(config.devices.find((d) => d.deviceID === PEER_ST_ID)).toMatchObject({ name: 'peer', addresses: ['dynamic'] });
    const folder = config.folders.find((f) => f.id === 'videos')!;
    expect(folder.devices.map((d) => d.deviceID).sort()).toEqual([st.deviceId, PEER_ST_ID].sort());

    const [report] = agent.state.folders;
    expect(report).toMatchObject({ folderId: 'videos', label: 'Videos', errors: 0 });
    expect(['idle', 'scanning', 'scan-waiting', 'sync-waiting']).toContain(report!.state);
    expect(changes).toBeGreaterThan(0); // the first report is a change: the agent sends a heartbeat
  }, 30_000);

  it('its report passes the heartbeat and shows in GET /status', async () => {
    const device = new DeviceApi({ functionsUrl: api.functions.functionsUrl, deviceId: self.deviceId, accessToken: async () => token });
    expect(await device.heartbeat({ folders: agent.state.folders })).toMatchObject({ recorded: true });
    const status = (await (await api.fetch(`status/${self.deviceId}`, { token })).json()) as { folders: unknown[] };
    expect(status.folders).toEqual(agent.state.folders);
  });

  it('takes a revoked peer out of Syncthing at its next poll', async () => {
    expect((await api.fetch(`revoke/${peer.deviceId}`, { method: 'POST', token })).status).toBe(200);
    // The poll is done when it has logged what it changed (Syncthing's config changes a moment earlier).
    await until(() => log.some((l) => l.includes('removed 1')), 10_000, () => log.join('\n'));
    const config = await st.rest<{ devices: StDevice[]; folders: StFolder[] }>('/rest/config');
    expect(config.devices.some((d) => d.deviceID === PEER_ST_ID)).toBe(false);
    expect(config.folders.find((f) => f.id === 'videos')!.devices.map((d) => d.deviceID)).toEqual([st.deviceId]);
    expect(agent.state.peers).toBe(0);
  }, 15_000);
});

async function until(probe: () => boolean | Promise<boolean>, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms:\n${why()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
