// Folder sync as a product feature (issue 13 §3): devices that run the agent
// (NebulaAgent in this process for A, B and C, as `vidsync up` runs it; the
// real `vidsync up` CLI for D) each with an untouched Syncthing 1.19 in its
// own network namespace, real nebula 1.6.1, the function served by Deno.
// Nothing configures Syncthing by hand: each device is given only its
// Syncthing (home and REST socket) and the folder to share; the agents learn
// the peers from the cloud.
//  - A, B and C join; A's folder (a big file and many small files in nested
//    folders) reaches B and C with identical SHA-256s; the heartbeat reports
//    the folder in sync;
//  - an edit and a delete on B reach A and C;
//  - C is revoked: A's and B's agents take it out of their Syncthing, and a
//    later change on A does not reach it;
//  - D joins through `vidsync up` and receives the whole folder; the time from
//    `vidsync up` to its first file is printed with its parts;
//  - Syncthing connects only between overlay addresses and listens on nothing else.
// Sizes: 50 MB + 500 files here (about 25 s in CI on two cores);
// VIDSYNC_E2E_FULL=1 runs the full size, 200 MB + 2,000 files.
//
// Syncthing's REST API listens on a Unix socket (--gui-address=unix://…):
// the agents run in the root namespace and reach it through the file system.
import { createHash, randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NebulaAgent, NebulaClient, readAgentState } from '../../client/src/index.ts';
import { SyncthingApi } from '../../client/src/syncthing/rest.ts';
import { useApi } from '../support/api.ts';
import { useE2eWorld } from '../support/e2e.ts';
import { addMember, createProject, type CreatedProject } from '../api/helpers.ts';
import { binary, isRoot, missing } from '../../scripts/e2e/requirements.ts';
import { canPing } from '../../scripts/e2e/nebula-host.ts';
import { NamespaceProcess } from '../../scripts/e2e/namespace-process.ts';
import type { UnderlayHost } from '../../scripts/e2e/netns.ts';
import { generateSyncthingHome, type SyncthingIdentity } from '../../scripts/e2e/syncthing.ts';
import { tunDeviceName } from '../../supabase/functions/_shared/bundle/nebula-config.ts';

const reason = missing(isRoot, binary('nebula'), binary('ip'), binary('ping'), binary('ss'), binary('syncthing'));

const FULL = process.env.VIDSYNC_E2E_FULL === '1';
const BIG_FILE_BYTES = (FULL ? 200 : 50) * 1024 * 1024;
const SMALL_FILES = FULL ? 2000 : 500;
const FOLDER_ID = 'vidsync-product-videos';
const LIGHTHOUSE_PORT = 4242;
const DEVICES = ['a', 'b', 'c', 'd'] as const;
type Name = (typeof DEVICES)[number];

interface Device {
  readonly name: Name;
  readonly host: UnderlayHost;
  /** The agent's project directory. */
  readonly dir: string;
  readonly folder: string;
  readonly identity: SyncthingIdentity;
  readonly socket: string;
  syncthing?: NamespaceProcess;
  st?: SyncthingApi;
  agent?: NebulaAgent;
  cli?: ChildProcess;
  readonly log: string[];
}

describe.runIf(!reason)('syncthing product e2e: agents configure Syncthing from the cloud, no hand configuration', () => {
  const api = useApi();
  const world = useE2eWorld('vidsync-stp', ['lh', ...DEVICES]);
  let project: CreatedProject;
  const tokens: Record<string, string> = {};
  const devices = {} as Record<Name, Device>;
  const lighthouseLog: string[] = [];
  let lighthouse: NebulaAgent;
  /** The folder as A holds it: relative path → SHA-256. */
  const expected = new Map<string, string>();

  const overlayIpOf = (name: Name) => (name === 'd' ? undefined : devices[name].agent!.state.ip!);

  async function startSyncthing(d: Device): Promise<void> {
    const child = world.underlay.spawn(d.host, 'syncthing', [
      'serve',
      '--home',
      d.identity.home,
      '--no-browser',
      '--no-restart',
      '--no-upgrade',
      '--logflags=3',
      `--gui-address=unix://${d.socket}`,
    ]);
    d.syncthing = new NamespaceProcess(child, join(world.dir, `${d.name}.syncthing.log`));
  }

  /** The agent as `vidsync up` builds it, in this process (A with its user's session, B and C headless). */
  function agentFor(d: Device, headless: boolean): NebulaAgent {
    return new NebulaAgent({
      projectId: project.projectId,
      dir: d.dir,
      functionsUrl: api.functions.functionsUrl,
      client: new NebulaClient({ supabase: api.client(tokens[d.name]!), baseDir: join(world.dir, d.name) }),
      deviceName: `e2e ${d.name}`,
      accessToken: headless ? undefined : async () => tokens[d.name]!,
      nebulaWrapper: ['ip', 'netns', 'exec', d.host.ns],
      log: (line) => d.log.push(`${new Date().toISOString()} ${line}`),
      onNebulaOutput: (line) => d.log.push(`  nebula: ${line}`),
      syncthing: { home: d.identity.home, url: `unix://${d.socket}`, share: [{ folderId: FOLDER_ID, path: d.folder, label: 'Videos' }] },
    });
  }

  async function stApi(d: Device): Promise<SyncthingApi> {
    d.st ??= await SyncthingApi.open({ home: d.identity.home, url: `unix://${d.socket}` });
    return d.st;
  }

  beforeAll(async () => {
    const identities = await Promise.all(DEVICES.map((n) => generateSyncthingHome(join(world.dir, `st-${n}`))));
    const lhHost = world.hosts.lh!;
    for (const [i, name] of DEVICES.entries()) {
      devices[name] = {
        name,
        host: world.hosts[name]!,
        dir: join(world.dir, name, 'overlay'),
        folder: join(world.dir, `folder-${name}`),
        identity: identities[i]!,
        socket: join(world.dir, `${name}.sock`),
        log: [],
      };
    }
    // The owner runs the lighthouse; one member brings A, B and C, another D.
    const [owner, alice, dan] = await Promise.all(['stpowner', 'stpalice', 'stpdan'].map((n) => api.user(n)));
    tokens.lh = owner!.accessToken;
    tokens.a = tokens.b = tokens.c = alice!.accessToken;
    tokens.d = dan!.accessToken;
    project = await createProject(api.client(tokens.lh), 'e2e syncthing product');
    await addMember(api.sql, project.projectId, alice!.id, 'member');
    await addMember(api.sql, project.projectId, dan!.id, 'member');
    const lhDir = join(world.dir, 'lh', 'overlay');
    await new NebulaClient({ supabase: api.client(tokens.lh), baseDir: join(world.dir, 'lh') }).register({
      projectId: project.projectId,
      dir: lhDir,
      deviceName: 'e2e lh',
      lighthouse: { endpoints: [`${lhHost.ip}:${LIGHTHOUSE_PORT}`] },
    });
    lighthouse = new NebulaAgent({
      projectId: project.projectId,
      dir: lhDir,
      functionsUrl: api.functions.functionsUrl,
      accessToken: async () => tokens.lh!,
      nebulaWrapper: ['ip', 'netns', 'exec', lhHost.ns],
      log: (line) => lighthouseLog.push(line),
    });
    await lighthouse.start();

    // A's folder: one big file and many small ones, nested three deep.
    await writeTree(devices.a.folder, expected);

    for (const name of ['a', 'b', 'c'] as const) {
      const d = devices[name];
      await startSyncthing(d);
      d.agent = agentFor(d, name !== 'a');
      await d.agent.start();
    }
  }, 90_000);

  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      for (const d of Object.values(devices)) {
        console.error(`--- agent ${d.name} (last 40 lines) ---\n${d.log.filter((l) => !l.startsWith('  nebula')).slice(-40).join('\n')}`);
        console.error(`--- syncthing ${d.name} (last 25 lines) ---\n${d.syncthing?.lines.slice(-25).join('\n') ?? '(not started)'}`);
      }
    });
  });

  afterAll(async () => {
    for (const d of Object.values(devices)) {
      d.cli?.kill('SIGTERM');
      await d.agent?.stop().catch(() => undefined);
      await d.syncthing?.stop().catch(() => undefined);
    }
    await lighthouse?.stop().catch(() => undefined);
  });

  it('B and C receive A’s folder, a big file and many small ones, with identical SHA-256s; the heartbeat says in sync', async () => {
    const t0 = performance.now();
    await Promise.all([waitForTree(devices.b.folder, expected, 90_000), waitForTree(devices.c.folder, expected, 90_000)]);
    const s = (performance.now() - t0) / 1000;
    console.log(
      `A → B and C: ${(BIG_FILE_BYTES / 1e6).toFixed(0)} MB + ${SMALL_FILES} small files on both in ${s.toFixed(1)} s after the agents started ` +
        `(${((2 * totalBytes(expected.size)) / 1e6 / s).toFixed(1)} MB/s into both, scan and connection included)`,
    );
    // Every Syncthing ID reached the cloud through the agents (PUT /devices/:id/syncthing), none by hand.
    const rows = await api.sql<{ name: string; syncthing_device_id: string | null }[]>`
      select name, syncthing_device_id from vidsync.devices where project_id = ${project.projectId} and name like 'e2e _'`;
    expect(Object.fromEntries(rows.map((r) => [r.name, r.syncthing_device_id]))).toEqual({
      'e2e a': devices.a.identity.deviceId,
      'e2e b': devices.b.identity.deviceId,
      'e2e c': devices.c.identity.deviceId,
    });
    // B's agent reports the folder in sync in its heartbeat: GET /status shows it.
    const status = await waitFor(async () => {
      const res = await api.fetch(`status/${devices.b.agent!.state.deviceId}`, { token: tokens.a! });
      const body = (await res.json()) as { folders: { folderId: string; state: string; completion: number; label?: string }[] };
      const f = body.folders.find((x) => x.folderId === FOLDER_ID);
      return f?.state === 'idle' && f.completion === 100 ? body : undefined;
    }, 15_000);
    expect(status.folders).toEqual([expect.objectContaining({ folderId: FOLDER_ID, label: 'Videos', state: 'idle', completion: 100, errors: 0 })]);
    // …and agent.json, for `vidsync status`.
    expect((await readAgentState(devices.c.dir))!.syncthing).toMatchObject({ deviceId: devices.c.identity.deviceId, peers: 2 });
  }, 120_000);

  it('an edit and a delete on B reach A and C', async () => {
    const [edited, deleted] = [...expected.keys()].filter((p) => p !== 'big.bin').slice(0, 2) as [string, string];
    const bytes = randomBytes(3000);
    await writeFile(join(devices.b.folder, edited), bytes);
    await unlink(join(devices.b.folder, deleted));
    expected.set(edited, sha256(bytes));
    expected.delete(deleted);
    // Syncthing's watcher would notice within its 10 s delay; ask for the scan now.
    await (await stApi(devices.b)).request('POST', `/rest/db/scan?folder=${FOLDER_ID}`);
    const t0 = performance.now();
    await Promise.all([waitForTree(devices.a.folder, expected, 30_000), waitForTree(devices.c.folder, expected, 30_000)]);
    console.log(`edit + delete on B → on A and C: ${((performance.now() - t0) / 1000).toFixed(1)} s after the scan`);
  }, 45_000);

  it('C is revoked: it leaves A’s and B’s Syncthing and receives no later change', async () => {
    const cId = devices.c.identity.deviceId;
    const t0 = performance.now();
    const res = await api.fetch(`revoke/${devices.c.agent!.state.deviceId}`, { method: 'POST', token: tokens.lh! });
    expect(res.status).toBe(200);
    for (const name of ['a', 'b'] as const) {
      const st = await stApi(devices[name]);
      await waitFor(async () => {
        const [configured, connections] = await Promise.all([
          st.get<{ deviceID: string }[]>('/rest/config/devices'),
          st.get<{ connections: Record<string, { connected: boolean }> }>('/rest/system/connections'),
        ]);
        return !configured.some((x) => x.deviceID === cId) && !connections.connections[cId]?.connected ? true : undefined;
      }, 30_000);
    }
    console.log(`revoke → C gone from A’s and B’s Syncthing: ${((performance.now() - t0) / 1000).toFixed(1)} s (peers poll every 5 s)`);
    // C's agent learns it too (410) and stops for good.
    expect(await devices.c.agent!.done).toBe('revoked');

    const later = randomBytes(5000);
    await writeFile(join(devices.a.folder, 'after-revoke.bin'), later);
    expected.set('after-revoke.bin', sha256(later));
    await (await stApi(devices.a)).request('POST', `/rest/db/scan?folder=${FOLDER_ID}`);
    await waitForTree(devices.b.folder, expected, 30_000);
    // B has it; C, whose Syncthing still runs, does not get it (its agent stopped nebula, and A and B refuse it).
    await new Promise((r) => setTimeout(r, 3_000));
    await expect(stat(join(devices.c.folder, 'after-revoke.bin'))).rejects.toThrow();
    for (const name of ['a', 'b'] as const) {
      const { connections } = await (await stApi(devices[name])).get<{ connections: Record<string, { connected: boolean }> }>('/rest/system/connections');
      expect(connections[cId]?.connected ?? false, name).toBe(false);
    }
  }, 90_000);

  it('D joins through `vidsync up` and receives the whole folder; time to its first file, in parts', async () => {
    const d = devices.d;
    const aIp = overlayIpOf('a')!;
    const t0 = performance.now();
    let out = '';
    d.cli = spawn(
      process.execPath,
      [
        join(process.cwd(), 'cli/bin.mjs'),
        'up',
        '-project', project.projectId,
        '-dir', d.dir,
        '-name', 'e2e d',
        '-url', api.functions.supabaseUrl,
        '-anon-key', api.functions.anonKey,
        '-token', tokens.d!,
        '-syncthing-home', d.identity.home,
        '-syncthing-api', `unix://${d.socket}`,
        '-share', d.folder,
        '-folder-id', FOLDER_ID,
        '-folder-label', 'Videos',
      ],
      { env: { ...process.env, VIDSYNC_NEBULA_WRAPPER: `ip netns exec ${d.host.ns}` }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    d.cli.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    d.cli.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    await startSyncthing(d);

    // The parts, each the first moment it was seen: one watcher per part, each polling on its own (~25 ms).
    const at: Partial<Record<'tun' | 'ping' | 'api' | 'peer' | 'file', number>> = {};
    const since = () => performance.now() - t0;
    const deadline = t0 + 60_000;
    const watch = async (part: keyof typeof at, after: keyof typeof at | null, seen: () => Promise<boolean>) => {
      while (performance.now() < deadline) {
        if ((after === null || at[after] !== undefined) && (await seen().catch(() => false))) {
          at[part] = since();
          return;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    let dIp: string | undefined;
    await Promise.all([
      watch('tun', null, async () => {
        const addr = await world.underlay.exec(d.host, 'ip', ['-o', '-4', 'addr', 'show', 'dev', tunDeviceName(project.projectId)], { allowFailure: true });
        dIp = / inet ([0-9.]+)\//.exec(addr.stdout)?.[1];
        return dIp !== undefined;
      }),
      watch('ping', 'tun', () => canPing(d.host, aIp, 1)),
      watch('api', null, async () => /syncthing: REST API up/.test(out)),
      watch('peer', 'api', async () => {
        const c = await (await stApi(d)).get<{ connections: Record<string, { connected: boolean }> }>('/rest/system/connections');
        return Object.values(c.connections).some((x) => x.connected);
      }),
      watch('file', null, () => anyFileIn(d.folder)),
    ]);
    const fmt = (ms: number | undefined) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(2)} s`);
    console.log(
      `vidsync up on D → first file synced: ${fmt(at.file)} ` +
        `(tun up ${fmt(at.tun)}, first overlay ping ${fmt(at.ping)}, Syncthing API up ${fmt(at.api)}, peer connected ${fmt(at.peer)}, first file ${fmt(at.file)}; ` +
        `goal ≤ 10 s; A and B learn of D at their next peers poll, every 5 s, and dial it at once)`,
    );
    expect(at.file, out).toBeDefined();
    expect(at.ping).toBeDefined();
    expect(dIp).toBe((await readAgentState(d.dir))!.ip);
    const t1 = performance.now();
    await waitForTree(d.folder, expected, 90_000);
    console.log(`D: the whole folder (${expected.size} files) ${((performance.now() - t1) / 1000).toFixed(1)} s after its first file`);
    expect(out).toContain('registered device');
  }, 160_000);

  it('Syncthing connects only between overlay addresses, and listens on nothing else', async () => {
    const state = await readAgentState(devices.d.dir);
    const overlay = new Set([overlayIpOf('a'), overlayIpOf('b'), state!.ip]);
    for (const name of ['a', 'b', 'd'] as const) {
      const d = devices[name];
      const ip = name === 'd' ? state!.ip! : overlayIpOf(name)!;
      // Each of the three live devices reaches the other two.
      const live = await waitFor(async () => {
        const { connections } = await (await stApi(d)).get<{ connections: Record<string, { connected: boolean; address: string }> }>('/rest/system/connections');
        const up = Object.values(connections).filter((x) => x.connected);
        return up.length === 2 ? up : undefined;
      }, 20_000);
      for (const c of live) expect(overlay.has(hostOf(c.address)), `${name}: ${c.address}`).toBe(true);
      // Syncthing's sockets in the namespace: TCP on the overlay IP only; no QUIC (UDP 22000) and no local
      // discovery (UDP 21027). (A fresh Syncthing's default config looks for NAT gateways until the agent
      // switches that off, a fraction of a second after its API is up: those short-lived ephemeral UDP sockets are not listeners.)
      const tcp = await world.underlay.exec(d.host, 'ss', ['-Hltnp'], { allowFailure: true });
      const udp = await world.underlay.exec(d.host, 'ss', ['-Hlunp'], { allowFailure: true });
      const listeners = tcp.stdout.split('\n').filter((l) => l.includes('syncthing')).map((l) => l.trim().split(/\s+/)[3]);
      expect(listeners, name).toEqual([`${ip}:22000`]);
      expect(udp.stdout.split('\n').filter((l) => l.includes('syncthing') && /:(22000|21027)\s/.test(l)), name).toEqual([]);
    }
  }, 30_000);
});

/** Writes the big file and SMALL_FILES small ones (1-8 KiB) in nested folders, recording their hashes. */
async function writeTree(root: string, hashes: Map<string, string>): Promise<void> {
  await mkdir(root, { recursive: true });
  const hash = createHash('sha256');
  const chunk = 8 * 1024 * 1024;
  const file = await open(join(root, 'big.bin'), 'w');
  for (let written = 0; written < BIG_FILE_BYTES; written += chunk) {
    const bytes = randomBytes(Math.min(chunk, BIG_FILE_BYTES - written));
    hash.update(bytes);
    await file.write(bytes);
  }
  await file.close();
  hashes.set('big.bin', hash.digest('hex'));
  for (let i = 0; i < SMALL_FILES; i++) {
    const rel = join(`d${i % 10}`, `e${Math.floor(i / 10) % 5}`, `f${Math.floor(i / 50) % 3}`, `small-${i}.dat`);
    const bytes = randomBytes(1024 + ((i * 7919) % 7168));
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), bytes);
    hashes.set(rel, sha256(bytes));
  }
}

function totalBytes(files: number): number {
  return BIG_FILE_BYTES + (files - 1) * 4608;
}

/** Regular files under `root` (Syncthing's own .stfolder and temporary files left out): relative path → size. */
async function listTree(root: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    const rel = relative(root, full);
    if (rel.startsWith('.stfolder') || rel.startsWith('.stversions') || e.name.startsWith('.syncthing.')) continue;
    const info = await stat(full).catch(() => undefined);
    if (info) out.set(rel, info.size);
  }
  return out;
}

/** Whether a synced file is in place (Syncthing writes .syncthing.*.tmp and renames it when complete). */
async function anyFileIn(root: string): Promise<boolean> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.some((e) => e.isFile() && !e.name.startsWith('.syncthing.') && !relative(root, join(e.parentPath, e.name)).startsWith('.st'));
}

/** Until `root` holds exactly the files of `expected` with those SHA-256s (sizes first, hashes once the sizes match). */
async function waitForTree(root: string, expected: ReadonlyMap<string, string>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const files = await listTree(root);
    const missingOrExtra = [...expected.keys()].filter((p) => !files.has(p)).length + [...files.keys()].filter((p) => !expected.has(p)).length;
    if (missingOrExtra === 0) {
      const wrong: string[] = [];
      for (const [rel, want] of expected) if ((await sha256File(join(root, rel))) !== want) wrong.push(rel);
      if (wrong.length === 0) return;
      last = `${wrong.length} files differ (${wrong.slice(0, 3).join(', ')})`;
    } else last = `${missingOrExtra} files missing or extra (${files.size} present, ${expected.size} expected)`;
    if (Date.now() > deadline) throw new Error(`${root} did not match A's folder within ${timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => hash.update(c))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

/** "10.99.0.3:22000" → "10.99.0.3". */
function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}
