// The product's data path end to end: devices registered through our API with
// the client SDK (their Syncthing device IDs announced), real nebula 1.6.1
// running each bundle in its own network namespace, and real Syncthing on A and
// B bound to their overlay IPs, with discovery, relays, NAT traversal and
// reporting off. A file written into A's folder must arrive on B, byte for
// byte, over a Syncthing connection between the two overlay addresses.
//
// The API, the SDK and the file checks run in the root namespace; nebula and
// Syncthing run inside the namespaces.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SupabaseClient } from '@supabase/supabase-js';
import { useApi } from '../support/api.ts';
import { addMember, createProject, type CreatedProject } from '../api/helpers.ts';
import { binary, isRoot, missing } from '../../scripts/e2e/requirements.ts';
import { waitForPing } from '../../scripts/e2e/nebula-host.ts';
import { generateSyncthingHome, SYNCTHING_GUI_ADDRESS, SYNCTHING_PORT, SyncthingInstance, type SyncthingIdentity } from '../../scripts/e2e/syncthing.ts';
import { expectTeardownLeavesNothing, printNebulaLogsOnFailure, SdkDevices, useE2eWorld } from '../support/e2e.ts';

const reason = missing(isRoot, binary('nebula'), binary('ip'), binary('ping'), binary('syncthing'), binary('curl'));

const LIGHTHOUSE_PORT = 4242;
/** Same folder id on both devices: that is what makes it one shared folder. */
const FOLDER_ID = 'vidsync-e2e-videos';

describe.runIf(!reason)('syncthing e2e: a folder synced between two devices over the Nebula overlay', () => {
  const api = useApi();
  const world = useE2eWorld('vidsync-syncthing', ['lh1', 'a', 'b']);
  const devices = new SdkDevices(world, { deviceNamePrefix: 'e2e', lighthousePort: LIGHTHOUSE_PORT, logSuffix: '.nebula.log' });
  const { registrations, nebula } = devices;
  let project: CreatedProject;
  const users: Record<string, SupabaseClient> = {};
  const identities: Record<string, SyncthingIdentity> = {};
  const syncthing: Record<string, SyncthingInstance> = {};
  /** Every nebula and Syncthing process started, to check none outlives the suite. */
  const pids = devices.nebulaPids;
  let syncthingStartedAt = 0;

  const overlayIp = (name: string) => devices.ip(name);
  const folderOf = (name: string) => join(world.dir, `folder-${name}`);

  const register = (name: string, as: SupabaseClient, lighthouse = false) =>
    devices.register(name, as, project.projectId, { lighthouse, syncthingDeviceId: identities[name]?.deviceId });
  const startNebula = (name: string) => devices.start(name);

  const startSyncthing = async (name: string, peer: string) => {
    const running = await SyncthingInstance.start(world.underlay, world.hosts[name]!, {
      identity: identities[name]!,
      name: `e2e ${name}`,
      listenIp: overlayIp(name),
      peers: [{ deviceId: identities[peer]!.deviceId, name: `e2e ${peer}`, ip: overlayIp(peer) }],
      folder: { id: FOLDER_ID, path: folderOf(name) },
      logPath: join(world.dir, `${name}.syncthing.log`),
    });
    pids.push(...(await running.processIds()));
    syncthing[name] = running;
  };

  beforeAll(async () => {
    [identities.a, identities.b] = await Promise.all([generateSyncthingHome(join(world.dir, 'st-a')), generateSyncthingHome(join(world.dir, 'st-b'))]);

    // An owner runs the lighthouse; two members bring a device each.
    const [owner, memberA, memberB] = await Promise.all(['stowner', 'sta', 'stb'].map((n) => api.user(n)));
    users.owner = api.client(owner!.accessToken);
    users.a = api.client(memberA!.accessToken);
    users.b = api.client(memberB!.accessToken);
    project = await createProject(users.owner, 'e2e syncthing');
    await addMember(api.sql, project.projectId, memberA!.id, 'member');
    await addMember(api.sql, project.projectId, memberB!.id, 'member');

    await register('lh1', users.owner, true);
    await startNebula('lh1');
    await Promise.all([register('a', users.a), register('b', users.b)]);
    await Promise.all([startNebula('a'), startNebula('b')]);
    // Syncthing's first dial should find the overlay up.
    await waitForPing(world.hosts.a!, overlayIp('b'), { timeoutMs: 10_000 });

    // One after the other, never both at once: Syncthing dials from its
    // listening port (SO_REUSEPORT), so when both devices dial each other in
    // the same instant the logs show a 22000-to-22000 connection (a TCP
    // simultaneous open) whose Hello exchange hangs until it times out, with
    // the retries in lockstep: 10-30+ s lost in about a third of our runs
    // (syncthing 1.19). So B starts first and A only once B's first dial of A
    // has failed (nobody listening yet); A then dials B at once, seconds
    // before B's next retry.
    await startSyncthing('b', 'a');
    const bFirstDial = await syncthing.b!.waitForDial(`tcp://${overlayIp('a')}:${SYNCTHING_PORT}`, 10_000);
    if (!bFirstDial.error) throw new Error('B reached A before A’s Syncthing was started');
    syncthingStartedAt = performance.now();
    await startSyncthing('a', 'b');
  });

  // The namespaces and logs are gone after teardown: show them on failure.
  printNebulaLogsOnFailure(nebula);
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      for (const [name, st] of Object.entries(syncthing)) {
        console.error(`--- syncthing log of ${name} (last 40 lines) ---\n${st.logText().split('\n').slice(-40).join('\n')}`);
      }
    });
  });

  it('the API recorded each device with its Syncthing device ID', async () => {
    const rows = await api.sql<{ id: string; syncthing_device_id: string | null }[]>`
      select id, syncthing_device_id from vidsync.devices where project_id = ${project.projectId}`;
    const byId = new Map(rows.map((r) => [r.id, r.syncthing_device_id]));
    expect(byId.get(registrations.a!.deviceId)).toBe(identities.a!.deviceId);
    expect(byId.get(registrations.b!.deviceId)).toBe(identities.b!.deviceId);
  });

  it('Syncthing listens only on the overlay IP and has every way out switched off', async () => {
    for (const name of ['a', 'b']) {
      const st = syncthing[name]!;
      const { options } = await st.rest<{ options: Record<string, unknown> }>('/rest/config');
      expect(options, name).toMatchObject({
        listenAddresses: [`tcp://${overlayIp(name)}:${SYNCTHING_PORT}`],
        globalAnnounceEnabled: false,
        localAnnounceEnabled: false,
        relaysEnabled: false,
        natEnabled: false,
        urAccepted: -1,
        crashReportingEnabled: false,
        autoUpgradeIntervalH: 0,
      });
      const status = await st.rest<{ connectionServiceStatus: Record<string, unknown> }>('/rest/system/status');
      expect(Object.keys(status.connectionServiceStatus), name).toEqual([`tcp://${overlayIp(name)}:${SYNCTHING_PORT}`]);
      // Every socket the process holds is on the overlay IP, or the REST API's loopback.
      const sockets = await st.socketAddresses();
      expect(sockets, name).toContain(`${overlayIp(name)}:${SYNCTHING_PORT}`);
      expect(sockets.filter((s) => !s.startsWith(`${overlayIp(name)}:`) && s !== SYNCTHING_GUI_ADDRESS), name).toEqual([]);
    }
  });

  it('A and B connect to each other at their overlay addresses', async () => {
    const aSeesB = await syncthing.a!.waitForConnection(identities.b!.deviceId, 20_000);
    const bSeesA = await syncthing.b!.waitForConnection(identities.a!.deviceId, 20_000);
    console.log(
      `syncthing A↔B connected (${aSeesB.type} on A, ${bSeesA.type} on B), ` +
        `seen ${(performance.now() - syncthingStartedAt).toFixed(0)} ms after starting A (B already up)`,
    );
    expect(hostOf(aSeesB.address)).toBe(overlayIp('b'));
    expect(hostOf(bSeesA.address)).toBe(overlayIp('a'));
    // One side dialled, the other accepted; the dialled end is port 22000.
    expect([aSeesB.type, bSeesA.type].sort()).toEqual(['tcp-client', 'tcp-server']);
    const dialled = aSeesB.type === 'tcp-client' ? aSeesB : bSeesA;
    expect(dialled.address.endsWith(`:${SYNCTHING_PORT}`)).toBe(true);
    // And nebula carried it: both completed a handshake with each other.
    expect(nebula.a!.handshakeCompletedWith(overlayIp('b'))).toBe(true);
    expect(nebula.b!.handshakeCompletedWith(overlayIp('a'))).toBe(true);
  });

  it('files written into A’s folder arrive on B with identical content', async () => {
    const files = {
      'clip.bin': new Uint8Array(randomBytes(1024 * 1024)),
      'notes.txt': new TextEncoder().encode(`synced over the overlay at ${new Date().toISOString()}\n`),
    };
    const t0 = performance.now();
    for (const [file, bytes] of Object.entries(files)) await writeFile(join(folderOf('a'), file), bytes);
    const arrivals = await Promise.all(
      Object.entries(files).map(async ([file, bytes]) => ({
        file,
        ms: await waitForFile(join(folderOf('b'), file), bytes.length, t0, 20_000),
      })),
    );
    console.log(`syncthing A→B over the overlay, file written → complete on B: ${arrivals.map((a) => `${a.file} ${a.ms.toFixed(0)} ms`).join(', ')}`);
    for (const [file, bytes] of Object.entries(files)) {
      expect(sha256(await readFile(join(folderOf('b'), file))), file).toBe(sha256(bytes));
    }
  });

  it('teardown leaves no namespace, no nebula and no syncthing process behind', async () => {
    // nebula on lh1, a and b; syncthing's monitor and worker on a and b.
    await expectTeardownLeavesNothing(world, pids, 7);
  });
});

/** Polls until the file exists at its full size; returns ms since `since`. Syncthing renames a finished temp file into place. */
async function waitForFile(path: string, size: number, since: number, timeoutMs: number): Promise<number> {
  for (;;) {
    const info = await stat(path).catch(() => undefined);
    if (info?.size === size) return performance.now() - since;
    if (performance.now() - since > timeoutMs) throw new Error(`${path} did not arrive (size ${size}) within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** "10.99.0.3:22000" → "10.99.0.3". */
function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}
