// The SDK's SyncthingBridge against two real Syncthing 1.19 instances on
// loopback (127.77.0.1 and 127.77.0.2 stand in for overlay IPs in the
// "project subnet" 127.77.0.0/24; nothing leaves this machine). Every effect
// is read back from Syncthing's own config REST API, and a file written on
// one side must arrive on the other with the same SHA-256.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { isVidsyncError } from '../../client/src/index.ts';
import { dialsPeer, privateOverlayOptions, SyncthingBridge } from '../../client/src/index.ts';
import { peerDevices } from '../../client/src/syncthing/bridge.ts';
import { guiOfConfigXml, SyncthingApi } from '../../client/src/syncthing/rest.ts';
import type { PeerList } from '../../client/src/index.ts';
import { syncthingDeviceIdFromSha256 } from '../../supabase/functions/_shared/syncthing/index.ts';
import { binary, missing } from '../../scripts/e2e/requirements.ts';
import { freePort, startLocalSyncthing } from '../support/syncthing-local.ts';
import type { LocalSyncthing } from '../support/syncthing-local.ts';
import type { StDevice, StFolder } from '../../client/src/syncthing/bridge.ts';

const SUBNET = '127.77.0.0/24';
const [FOREIGN_ID, LONE_ID] = fc.sample(fc.uint8Array({ minLength: 32, maxLength: 32 }), { numRuns: 2, seed: 1913 }).map(syncthingDeviceIdFromSha256) as [string, string];

interface StConfig {
  devices: StDevice[];
  folders: StFolder[];
  options: Record<string, unknown>;
}

function peerList(self: { id: string; ip: string; st: string }, peers: { id: string; name: string; ip: string; st: string | null; lighthouse?: boolean }[]): PeerList {
  return {
    deviceId: self.id,
    projectId: '00000000-0000-4000-8000-000000000077',
    ip: self.ip,
    subnet: SUBNET,
    syncthingDeviceId: self.st,
    peers: peers.map((p) => ({ deviceId: p.id, name: p.name, ip: p.ip, syncthingDeviceId: p.st, isLighthouse: p.lighthouse ?? false, online: true })),
  };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

describe('the dial rule and the entries it makes (no Syncthing needed)', () => {
  it('makes exactly one side of every pair dial: the lower overlay IP, by number', () => {
    fc.assert(fc.property(fc.ipV4(), fc.ipV4(), (x, y) => x === y || dialsPeer(x, y) !== dialsPeer(y, x)));
    // By number, not by text: "10.0.0.9" sorts after "10.0.0.10" as a string.
    expect(dialsPeer('10.0.0.9', '10.0.0.10')).toBe(true);
    expect(dialsPeer('10.0.0.10', '10.0.0.9')).toBe(false);
    // Other keys (Syncthing IDs, as hand-built configs use) compare as text, with the same one-sided outcome.
    expect(dialsPeer(LONE_ID, FOREIGN_ID)).toBe(LONE_ID < FOREIGN_ID);
    expect(dialsPeer(FOREIGN_ID, LONE_ID)).not.toBe(dialsPeer(LONE_ID, FOREIGN_ID));
  });

  it('gives the dialling side (lower IP) the address and the other `dynamic`, leaves out itself and peers without an ID', () => {
    // The IP decides, not the Syncthing ID: here the dialling side has the higher ID.
    const [low, high] = [FOREIGN_ID, LONE_ID].sort() as [string, string];
    const list = peerList({ id: 'a', ip: '127.77.0.1', st: high }, [
      { id: 'b', name: 'B', ip: '127.77.0.2', st: low },
      { id: 'l', name: 'lighthouse', ip: '127.77.0.3', st: null, lighthouse: true },
      { id: 'a2', name: 'me again', ip: '127.77.0.4', st: high },
    ]);
    expect(peerDevices(list, high, 22000)).toEqual([
      { deviceID: low, name: 'B', addresses: ['tcp://127.77.0.2:22000'], allowedNetworks: [SUBNET], autoAcceptFolders: false, introducer: false },
    ]);
    const mirrored = peerList({ id: 'b', ip: '127.77.0.2', st: low }, [{ id: 'a', name: 'A', ip: '127.77.0.1', st: high }]);
    expect(peerDevices(mirrored, low, 22000)[0]!.addresses).toEqual(['dynamic']);
  });

  it("reads the REST API's address and key from config.xml, and refuses to send the key over plain HTTP off this machine", async () => {
    expect(guiOfConfigXml('<configuration><gui enabled="true" tls="false"><address>127.0.0.1:8384</address><apikey>k</apikey></gui></configuration>')).toEqual({
      url: 'http://127.0.0.1:8384',
      apiKey: 'k',
    });
    expect(guiOfConfigXml('<gui tls="true"><address>0.0.0.0:9000</address><apikey>x</apikey></gui>')).toEqual({ url: 'https://127.0.0.1:9000', apiKey: 'x' });
    await expect(SyncthingApi.open({ url: 'http://192.0.2.1:8384', apiKey: 'k' })).rejects.toSatisfy((e) => isVidsyncError(e, 'validation_failed'));
    await expect(SyncthingApi.open({ url: 'http://127.0.0.1:8384' })).rejects.toSatisfy((e) => isVidsyncError(e, 'validation_failed'));
  });
});

describe.skipIf(missing(binary('syncthing')))('SyncthingBridge against real Syncthing on loopback', () => {
  let a: LocalSyncthing;
  let b: LocalSyncthing;
  let work: string;
  let port: number;
  let bridgeA: SyncthingBridge;
  let bridgeB: SyncthingBridge;
  let listA: PeerList;
  let listB: PeerList;
  let foreignBefore: { folder: StFolder; device: StDevice };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vidsync-bridge-'));
    // A's Syncthing already has a folder and a device of its user's: the bridge must never change them.
    [a, b] = await Promise.all([
      startLocalSyncthing({
        name: 'a',
        extraXml: [
          `  <device id="${FOREIGN_ID}" name="users-own" compression="metadata" introducer="false"><address>tcp://127.0.0.1:9</address></device>`,
          `  <folder id="theirs" label="Their folder" path="${join(work, 'theirs')}" type="sendreceive"><device id="${FOREIGN_ID}"></device></folder>`,
        ].join('\n'),
      }),
      startLocalSyncthing({ name: 'b' }),
    ]);
    port = await freePort('127.77.0.1');
    bridgeA = await SyncthingBridge.open({ home: a.home, stateFile: join(work, 'a', 'bridge.json'), syncPort: port });
    bridgeB = await SyncthingBridge.open({ url: b.url, apiKey: b.apiKey, stateFile: join(work, 'b', 'bridge.json'), syncPort: port });
    listA = peerList({ id: 'dev-a', ip: '127.77.0.1', st: a.deviceId }, [
      { id: 'dev-b', name: 'B', ip: '127.77.0.2', st: b.deviceId },
      { id: 'dev-l', name: 'lighthouse', ip: '127.77.0.3', st: null, lighthouse: true },
    ]);
    listB = peerList({ id: 'dev-b', ip: '127.77.0.2', st: b.deviceId }, [
      { id: 'dev-a', name: 'A', ip: '127.77.0.1', st: a.deviceId },
      { id: 'dev-l', name: 'lighthouse', ip: '127.77.0.3', st: null, lighthouse: true },
    ]);
    const config = await a.rest<StConfig>('/rest/config');
    foreignBefore = { folder: config.folders.find((f) => f.id === 'theirs')!, device: config.devices.find((d) => d.deviceID === FOREIGN_ID)! };
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('knows its Syncthing device ID', async () => {
    expect(await bridgeA.deviceId()).toBe(a.deviceId);
  });

  it('sets the private-overlay options and one device entry per peer with a Syncthing ID', async () => {
    const [changesA] = await Promise.all([bridgeA.setPeers(listA), bridgeB.setPeers(listB)]);
    expect(changesA).toMatchObject({ added: [b.deviceId], updated: [], removed: [], folders: [] });
    expect(changesA.options.sort()).toEqual(['alwaysLocalNets', 'listenAddresses', 'reconnectionIntervalS']);
    for (const [st, selfIp, peer, peerIp] of [
      [a, '127.77.0.1', b.deviceId, '127.77.0.2'],
      [b, '127.77.0.2', a.deviceId, '127.77.0.1'],
    ] as const) {
      const config = await st.rest<StConfig>('/rest/config');
      expect(config.options).toMatchObject({
        listenAddresses: [`tcp://${st === a ? '127.77.0.1' : '127.77.0.2'}:${port}`],
        alwaysLocalNets: [SUBNET],
        reconnectionIntervalS: 5,
        urAccepted: -1,
      });
      // Nothing leaves the overlay: no discovery, relays, NAT traversal or crash reports.
      for (const off of ['globalAnnounceEnabled', 'localAnnounceEnabled', 'relaysEnabled', 'natEnabled', 'announceLANAddresses', 'crashReportingEnabled']) {
        expect(config.options[off], off).toBe(false);
      }
      const entry = config.devices.find((d) => d.deviceID === peer)!;
      expect(entry).toMatchObject({
        name: st === a ? 'B' : 'A',
        addresses: [dialsPeer(selfIp, peerIp) ? `tcp://${peerIp}:${port}` : 'dynamic'],
        allowedNetworks: [SUBNET],
        autoAcceptFolders: false,
        introducer: false,
      });
    }
    expect(privateOverlayOptions('127.77.0.1', SUBNET, port).listenAddresses).toEqual([`tcp://127.77.0.1:${port}`]);
  });

  it('shares a folder both ways; a file written on one side arrives on the other, dialled by the lower IP only', async () => {
    const [pathA, pathB] = [join(work, 'share-a'), join(work, 'share-b')];
    await Promise.all([
      bridgeA.share({ folderId: 'holiday', path: pathA, label: 'Holiday' }),
      bridgeB.share({ folderId: 'holiday', path: pathB, label: 'Holiday' }),
    ]);
    const folderA = (await a.rest<StConfig>('/rest/config')).folders.find((f) => f.id === 'holiday')!;
    expect(folderA).toMatchObject({ label: 'Holiday', path: pathA });
    expect(folderA.devices.map((d) => d.deviceID).sort()).toEqual([a.deviceId, b.deviceId].sort());

    // A has the lower IP (127.77.0.1): A dials, B answers.
    const [low, high] = [a, b];
    const atHigh = await waitFor(
      'the connection',
      async () => {
        const c = (await high.rest<{ connections: Record<string, { connected: boolean; type: string }> }>('/rest/system/connections')).connections[low.deviceId];
        return c?.connected ? c : undefined;
      },
      20_000,
    );
    // The higher IP never dials: its side of the connection is the server side.
    expect(atHigh.type).toBe('tcp-server');

    await writeFile(join(pathA, 'clip.bin'), randomBytes(256 * 1024));
    const expected = await sha256(join(pathA, 'clip.bin'));
    await bridgeA.api.request('POST', '/rest/db/scan?folder=holiday');
    expect(await waitFor('the file on B', async () => ((await sha256(join(pathB, 'clip.bin'))) === expected ? true : undefined), 30_000)).toBe(true);
    const status = await bridgeB.folderStatus('holiday');
    expect(status).toMatchObject({ folderId: 'holiday', error: null, pullErrors: 0 });
    expect(status.completion).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('is idempotent: applying the same peers and shares again changes nothing, also from a new bridge instance', async () => {
    const before = await a.rest<StConfig>('/rest/config');
    const nothing = { options: [], added: [], updated: [], removed: [], folders: [] };
    expect(await bridgeA.setPeers(listA)).toEqual(nothing);
    await bridgeA.share({ folderId: 'holiday', path: join(work, 'share-a'), label: 'Holiday' });
    const reopened = await SyncthingBridge.open({ home: a.home, stateFile: join(work, 'a', 'bridge.json'), syncPort: port });
    expect(await reopened.setPeers(listA)).toEqual(nothing);
    expect(await a.rest<StConfig>('/rest/config')).toEqual(before);
    expect(await reopened.owned()).toEqual({ devices: [b.deviceId], folders: ['holiday'] });
  });

  it("never touches the user's own folder or device, and refuses to share under a folder id it did not create", async () => {
    const config = await a.rest<StConfig>('/rest/config');
    expect(config.folders.find((f) => f.id === 'theirs')).toEqual(foreignBefore.folder);
    expect(config.devices.find((d) => d.deviceID === FOREIGN_ID)).toEqual(foreignBefore.device);
    // Same id and path as the user's folder: only ownership can refuse it.
    await expect(bridgeA.share({ folderId: 'theirs', path: foreignBefore.folder.path })).rejects.toSatisfy((e) => isVidsyncError(e, 'conflict'));
    expect((await a.rest<StConfig>('/rest/config')).folders.find((f) => f.id === 'theirs')).toEqual(foreignBefore.folder);
  });

  it("shares with a peer whose device entry is the user's own without changing that entry, and takes it out of our folder when it leaves", async () => {
    const withForeign = { ...listA, peers: [...listA.peers, { deviceId: 'dev-c', name: 'C', ip: '127.77.0.4', syncthingDeviceId: FOREIGN_ID, isLighthouse: false, online: false }] };
    await bridgeA.setPeers(withForeign);
    let config = await a.rest<StConfig>('/rest/config');
    expect(config.devices.find((d) => d.deviceID === FOREIGN_ID)).toEqual(foreignBefore.device);
    expect(config.folders.find((f) => f.id === 'holiday')!.devices.map((d) => d.deviceID)).toContain(FOREIGN_ID);
    await bridgeA.setPeers(listA);
    config = await a.rest<StConfig>('/rest/config');
    expect(config.folders.find((f) => f.id === 'holiday')!.devices.map((d) => d.deviceID)).not.toContain(FOREIGN_ID);
    expect(config.devices.find((d) => d.deviceID === FOREIGN_ID)).toEqual(foreignBefore.device);
  });

  it('shares with a chosen set only, and adds a new peer to every-peer folders but not to that one', async () => {
    await bridgeA.share({ folderId: 'only-b', path: join(work, 'only-b'), peers: ['dev-b'] });
    const newcomer = { deviceId: 'dev-d', name: 'D', ip: '127.77.0.5', syncthingDeviceId: LONE_ID, isLighthouse: false, online: true };
    await bridgeA.setPeers({ ...listA, peers: [...listA.peers, newcomer] });
    const config = await a.rest<StConfig>('/rest/config');
    const members = (id: string) => config.folders.find((f) => f.id === id)!.devices.map((d) => d.deviceID).sort();
    expect(members('holiday')).toEqual([a.deviceId, b.deviceId, LONE_ID].sort());
    expect(members('only-b')).toEqual([a.deviceId, b.deviceId].sort());
    expect(config.devices.find((d) => d.deviceID === LONE_ID)).toMatchObject({ name: 'D', allowedNetworks: [SUBNET] });
  });

  it('removes peers that leave from our folders and from the device list', async () => {
    const changes = await bridgeA.setPeers({ ...listA, peers: [] });
    expect(changes).toMatchObject({ added: [], options: [] });
    expect([...changes.removed].sort()).toEqual([b.deviceId, LONE_ID].sort());
    const config = await a.rest<StConfig>('/rest/config');
    expect(config.devices.map((d) => d.deviceID).sort()).toEqual([a.deviceId, FOREIGN_ID].sort());
    for (const id of ['holiday', 'only-b']) expect(config.folders.find((f) => f.id === id)!.devices.map((d) => d.deviceID)).toEqual([a.deviceId]);
    expect(config.folders.find((f) => f.id === 'theirs')).toEqual(foreignBefore.folder);
    expect(await bridgeA.owned()).toEqual({ devices: [], folders: ['holiday', 'only-b'] });
  });

  it('unshares only its own folders, keeping the files', async () => {
    await bridgeA.unshare('only-b');
    await bridgeA.unshare('theirs');
    const config = await a.rest<StConfig>('/rest/config');
    expect(config.folders.map((f) => f.id).sort()).toEqual(['holiday', 'theirs']);
    expect(await readFile(join(work, 'share-a', 'clip.bin'))).toHaveLength(256 * 1024);
  });

  it('refuses a peer list it cannot put into Syncthing, changing nothing', async () => {
    const before = await a.rest<StConfig>('/rest/config');
    const bad = { ...listA, peers: [{ ...listA.peers[0]!, syncthingDeviceId: `${b.deviceId.slice(0, -1)}${b.deviceId.endsWith('A') ? 'B' : 'A'}` }] };
    await expect(bridgeA.setPeers(bad)).rejects.toSatisfy((e) => isVidsyncError(e, 'validation_failed'));
    await expect(bridgeA.setPeers({ ...listA, ip: 'tcp://evil' })).rejects.toSatisfy((e) => isVidsyncError(e, 'validation_failed'));
    expect(await a.rest<StConfig>('/rest/config')).toEqual(before);
  });
});
