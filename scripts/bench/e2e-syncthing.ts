// Syncthing for `npm run bench:e2e`: one real Syncthing 1.19 per namespace,
// configured through its REST API the way the SDK's SyncthingBridge does it
// (privateOverlayOptions, one dialling side per pair), and one timed transfer
// of a big file from A to B.
//
// The REST API listens on 127.0.0.1 inside each namespace, which this
// process (root namespace) cannot reach, so the SDK's SyncthingApi (fetch)
// cannot talk to it: requests go through `curl` run in the namespace, as
// scripts/e2e/syncthing.ts does for its GETs.
import { link, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { dialsPeer, privateOverlayOptions, SYNCTHING_SYNC_PORT } from '../../client/src/index.ts';
import type { Underlay, UnderlayHost } from '../e2e/netns.ts';
import { generateSyncthingHome, SYNCTHING_GUI_ADDRESS, SyncthingInstance } from '../e2e/syncthing.ts';
import { sha256File } from './e2e-files.ts';

export interface BenchDevice {
  readonly host: UnderlayHost;
  /** Overlay IP and the project's subnet (alwaysLocalNets). */
  readonly overlayIp: string;
  readonly overlayCidr: string;
}

/** Which addresses the dialling side uses: the namespaces' own (underlay) or nebula's (overlay). */
export type Path = 'direct' | 'overlay';

export class BenchSyncthing {
  readonly device: BenchDevice;
  readonly instance: SyncthingInstance;
  private readonly underlay: Underlay;
  private readonly apiKey: string;

  private constructor(underlay: Underlay, device: BenchDevice, instance: SyncthingInstance, apiKey: string) {
    this.underlay = underlay;
    this.device = device;
    this.instance = instance;
    this.apiKey = apiKey;
  }

  get deviceId(): string {
    return this.instance.deviceId;
  }

  /**
   * Starts Syncthing with a config that holds no peer and no folder of ours
   * (only an idle placeholder folder the start-up needs), then sets the
   * private-overlay options over REST (`listenOn` moves the listener to the
   * underlay address, so the same two instances are measured on the direct path).
   */
  static async start(underlay: Underlay, device: BenchDevice, dir: string): Promise<BenchSyncthing> {
    const apiKey = crypto.randomUUID().replaceAll('-', '');
    const identity = await generateSyncthingHome(join(dir, `st-${device.host.name}`));
    const instance = await SyncthingInstance.start(underlay, device.host, {
      identity,
      name: `bench ${device.host.name}`,
      listenIp: device.overlayIp,
      peers: [],
      folder: { id: 'bench-idle', path: join(dir, `idle-${device.host.name}`) },
      apiKey,
      logPath: join(dir, `${device.host.name}.syncthing.log`),
    });
    const st = new BenchSyncthing(underlay, device, instance, apiKey);
    await st.rest('PATCH', '/rest/config/options', privateOverlayOptions(device.overlayIp, device.overlayCidr));
    return st;
  }

  /** A REST request from inside the namespace; parsed JSON (undefined for an empty answer). */
  async rest<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const args = ['-sS', '-f', '--max-time', '10', '-X', method, '-H', `X-API-Key: ${this.apiKey}`];
    if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data-binary', '@-');
    const result = await this.underlay.exec(this.device.host, 'curl', [...args, `http://${SYNCTHING_GUI_ADDRESS}${path}`], {
      input: body === undefined ? '' : JSON.stringify(body),
    });
    return (result.stdout.trim() ? JSON.parse(result.stdout) : undefined) as T;
  }

  /**
   * Listens only on the path's address, so a dial to the other one (a stale
   * address Syncthing still tries) cannot connect.
   */
  async listenOn(path: Path, timeoutMs = 10_000): Promise<void> {
    const ip = path === 'direct' ? this.device.host.ip : this.device.overlayIp;
    const address = `tcp://${ip}:${SYNCTHING_SYNC_PORT}`;
    await this.rest('PATCH', '/rest/config/options', { listenAddresses: [address] });
    // Dials leave from the listening port: dialling before the new listener is
    // up fails and waits for the next round, seconds later.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { connectionServiceStatus: listeners } = await this.rest<{ connectionServiceStatus: Record<string, { error: string | null }> }>('GET', '/rest/system/status');
      if (Object.keys(listeners).join() === address && listeners[address]!.error === null) return;
      if (Date.now() > deadline) throw new Error(`syncthing ${this.device.host.name} not listening on ${address} within ${timeoutMs} ms (${JSON.stringify(listeners)})`);
      await sleep(50);
    }
  }

  /**
   * Makes `peer` known at the given path's address. As the bridge does, only
   * the side whose device ID sorts first dials; the other waits (`dynamic`,
   * which with discovery off means "be dialled").
   */
  async setPeer(peer: BenchSyncthing, path: Path): Promise<void> {
    const address = path === 'direct' ? peer.device.host.ip : peer.device.overlayIp;
    await this.rest('PUT', `/rest/config/devices/${peer.deviceId}`, {
      deviceID: peer.deviceId,
      name: `bench ${peer.device.host.name}`,
      addresses: dialsPeer(this.deviceId, peer.deviceId) ? [`tcp://${address}:${SYNCTHING_SYNC_PORT}`] : ['dynamic'],
      compression: 'metadata',
      introducer: false,
      autoAcceptFolders: false,
      paused: false,
    });
  }

  /** Closes the connection to `peer` and keeps it closed until `setPeer` (which unpauses); nothing before the first `setPeer`. */
  async pause(peer: BenchSyncthing, timeoutMs = 10_000): Promise<void> {
    const devices = await this.rest<{ deviceID: string }[]>('GET', '/rest/config/devices');
    if (!devices.some((d) => d.deviceID === peer.deviceId)) return;
    await this.rest('POST', `/rest/system/pause?device=${peer.deviceId}`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { connections } = await this.rest<{ connections: Record<string, { connected: boolean }> }>('GET', '/rest/system/connections');
      if (!connections[peer.deviceId]?.connected) return;
      if (Date.now() > deadline) throw new Error(`syncthing ${this.device.host.name} still connected to ${peer.device.host.name} ${timeoutMs} ms after pausing it`);
      await sleep(50);
    }
  }

  /** Resolves once connected to `peer` from or to `ip`. */
  async waitForConnection(peer: BenchSyncthing, ip: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { connections } = await this.rest<{ connections: Record<string, { connected: boolean; address: string }> }>('GET', '/rest/system/connections');
      const c = connections[peer.deviceId];
      if (c?.connected && c.address.slice(0, c.address.lastIndexOf(':')) === ip) return;
      if (Date.now() > deadline) throw new Error(`syncthing ${this.device.host.name} not connected to ${peer.device.host.name} at ${ip} within ${timeoutMs} ms (${JSON.stringify(c)})`);
      await sleep(100);
    }
  }

  async putFolder(id: string, path: string, type: 'sendonly' | 'receiveonly', devices: readonly BenchSyncthing[]): Promise<void> {
    await this.rest('PUT', `/rest/config/folders/${id}`, {
      id,
      label: id,
      path,
      type,
      devices: [this, ...devices].map((d) => ({ deviceID: d.deviceId })),
      // Nothing but the transfer: no watcher, no periodic rescan.
      fsWatcherEnabled: false,
      rescanIntervalS: 3600,
    });
  }

  /** Resolves once `peer` has offered the folder (it is pending here). */
  async waitForOffer(peer: BenchSyncthing, id: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pending = await this.rest<Record<string, { offeredBy: Record<string, unknown> }>>('GET', '/rest/cluster/pending/folders');
      if (pending?.[id]?.offeredBy[peer.deviceId]) return;
      if (Date.now() > deadline) throw new Error(`syncthing ${this.device.host.name}: ${peer.device.host.name} did not offer ${id} within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  async deleteFolder(id: string): Promise<void> {
    await this.rest('DELETE', `/rest/config/folders/${id}`);
  }

  /** Resolves once the folder is idle and holds `bytes` locally (its scan is done). */
  async waitForScanned(id: string, bytes: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.rest<{ state: string; localBytes: number }>('GET', `/rest/db/status?folder=${id}`).catch(() => undefined);
      if (status?.state === 'idle' && status.localBytes === bytes) return;
      if (Date.now() > deadline) throw new Error(`syncthing ${this.device.host.name} did not scan ${id} within ${timeoutMs} ms (${JSON.stringify(status)})`);
      await sleep(100);
    }
  }
}

export interface TransferInput {
  readonly from: BenchSyncthing;
  readonly to: BenchSyncthing;
  /** The big file, outside both folders; hard-linked into the sender's folder. */
  readonly source: string;
  readonly bytes: number;
  readonly sha256: string;
  /** Scratch directory for this transfer's folders. */
  readonly dir: string;
  readonly folderId: string;
  readonly timeoutMs: number;
}

/**
 * One transfer, timed from sharing the (already scanned) folder with B to
 * the file's arrival under its own name on B (Syncthing writes a temp file
 * and renames it once every block is in and verified). Checked by SHA-256
 * afterwards; both folders are removed again. Returns the seconds taken.
 */
export async function timedTransfer(t: TransferInput, during?: { start(): void; stop(): void }): Promise<number> {
  const fromDir = join(t.dir, `${t.folderId}-${t.from.device.host.name}`);
  const toDir = join(t.dir, `${t.folderId}-${t.to.device.host.name}`);
  const name = 'big.bin';
  for (const d of [fromDir, toDir]) await mkdir(join(d, '.stfolder'), { recursive: true });
  await link(t.source, join(fromDir, name));
  try {
    // Scanned (hashed) by A before the clock starts: Syncthing's own scan is not the transfer.
    await t.from.putFolder(t.folderId, fromDir, 'sendonly', []);
    await t.from.waitForScanned(t.folderId, t.bytes, t.timeoutMs);
    // Offered to B first and accepted by B last, as a user would: B adding a
    // folder that A has not yet shared with it makes A refuse B's index and
    // drop the connection (Syncthing 1.19), a 10 s stall that is not the transfer.
    await t.from.putFolder(t.folderId, fromDir, 'sendonly', [t.to]);
    await t.to.waitForOffer(t.from, t.folderId, 30_000);
    during?.start();
    const started = performance.now();
    await t.to.putFolder(t.folderId, toDir, 'receiveonly', [t.from]);
    await waitForFile(join(toDir, name), t.bytes, t.timeoutMs);
    const seconds = (performance.now() - started) / 1000;
    during?.stop();
    const got = await sha256File(join(toDir, name));
    if (got !== t.sha256) throw new Error(`${t.folderId}: SHA-256 on ${t.to.device.host.name} is ${got}, sent ${t.sha256}`);
    return seconds;
  } finally {
    await t.to.deleteFolder(t.folderId).catch(() => undefined);
    await t.from.deleteFolder(t.folderId).catch(() => undefined);
    await rm(fromDir, { recursive: true, force: true });
    await rm(toDir, { recursive: true, force: true });
  }
}

async function waitForFile(path: string, bytes: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const size = await stat(path).then((s) => s.size, () => -1);
    if (size === bytes) return;
    if (performance.now() > deadline) throw new Error(`${path} did not arrive within ${timeoutMs} ms (size ${size})`);
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
