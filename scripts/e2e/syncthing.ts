// Runs a real Syncthing instance inside an underlay namespace, bound to the
// host's Nebula overlay IP and talking to nothing else: the product's data
// path (Syncthing over the per-project overlay) with real binaries.
//
// Written for Debian's syncthing 1.19 (config version 36, `generate`/`serve`
// subcommands). Each instance gets a home of its own (keys, config, database);
// its config.xml is written whole from `syncthingConfigXml` rather than patched,
// so nothing depends on what `generate` happened to put there. Every way
// Syncthing can reach beyond the overlay is switched off explicitly — global
// and local discovery, relays, NAT traversal (UPnP/NAT-PMP, STUN), usage and
// crash reporting, upgrades — and it listens on TCP only (no QUIC listener, so
// no STUN either). The namespaces have no default route anyway; the config
// makes that a second line of defence, not the only one.
//
// The REST API listens on 127.0.0.1 inside the namespace, which the test
// process (root namespace) cannot reach: requests go through `curl` run in the
// namespace.
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Underlay, UnderlayHost } from './netns.ts';
import { HostProgram } from './namespace-process.ts';

/** Syncthing's customary sync port; every instance is alone in its namespace, so all use it. */
export const SYNCTHING_PORT = 22000;
/** GUI/REST address inside each namespace. */
export const SYNCTHING_GUI_ADDRESS = '127.0.0.1:8384';
/** The config version Syncthing 1.19 writes; used when the generated config names none. */
const FALLBACK_CONFIG_VERSION = 36;

export interface SyncthingIdentity {
  /** Home directory: cert.pem, key.pem, config.xml, database. */
  readonly home: string;
  /** e.g. "Z7BMNQM-PJHEFAS-…" (8 groups of 7). */
  readonly deviceId: string;
  /** The config version this binary writes. */
  readonly configVersion: number;
}

export interface SyncthingPeer {
  readonly deviceId: string;
  readonly name: string;
  /** The peer's overlay IP; dialled at tcp://<ip>:22000 and nowhere else. */
  readonly ip: string;
}

export interface SyncthingFolder {
  /** Same id on every device that shares it. */
  readonly id: string;
  readonly path: string;
}

export interface SyncthingConfigInput {
  readonly configVersion: number;
  readonly deviceId: string;
  readonly name: string;
  /** The only address Syncthing listens on for sync traffic. */
  readonly listenIp: string;
  readonly apiKey: string;
  readonly peers: readonly SyncthingPeer[];
  readonly folder: SyncthingFolder;
}

/**
 * Makes a fresh home with its own key pair (`syncthing generate`) and reads the
 * device ID back. Runs in the root namespace: it touches no network.
 */
export async function generateSyncthingHome(home: string): Promise<SyncthingIdentity> {
  await execText('syncthing', ['generate', '--home', home, '--no-default-folder', '--skip-port-probing']);
  const deviceId = (await execText('syncthing', ['serve', '--home', home, '--device-id'])).trim();
  if (!/^[A-Z2-7]{7}(-[A-Z2-7]{7}){7}$/.test(deviceId)) throw new Error(`unexpected syncthing device id: ${deviceId}`);
  const generated = await readFile(join(home, 'config.xml'), 'utf8');
  const version = /<configuration\s+version="(\d+)"/.exec(generated)?.[1];
  return { home, deviceId, configVersion: version ? Number(version) : FALLBACK_CONFIG_VERSION };
}

/**
 * A complete config.xml: one device (us) plus its peers at explicit overlay
 * addresses, one folder shared with all peers, nothing that leaves the overlay.
 * Options not named here take Syncthing's defaults, none of which reach out
 * once discovery, relays, NAT and reporting are off.
 */
export function syncthingConfigXml(c: SyncthingConfigInput): string {
  const device = (id: string, name: string, address: string) =>
    [
      `  <device id="${attr(id)}" name="${attr(name)}" compression="metadata" introducer="false">`,
      `    <address>${text(address)}</address>`,
      `    <autoAcceptFolders>false</autoAcceptFolders>`,
      `  </device>`,
    ].join('\n');
  const folderDevices = [c.deviceId, ...c.peers.map((p) => p.deviceId)].map((id) => `    <device id="${attr(id)}"></device>`);
  return [
    `<configuration version="${c.configVersion}">`,
    // Our own entry: Syncthing requires it; its address is never dialled.
    device(c.deviceId, c.name, 'dynamic'),
    ...c.peers.map((p) => device(p.deviceId, p.name, `tcp://${p.ip}:${SYNCTHING_PORT}`)),
    // A short watcher delay picks up a written file within about a second;
    // the rescan interval is the fallback should inotify miss it.
    `  <folder id="${attr(c.folder.id)}" label="${attr(c.folder.id)}" path="${attr(c.folder.path)}" type="sendreceive"` +
      ` rescanIntervalS="5" fsWatcherEnabled="true" fsWatcherDelayS="1" ignorePerms="false" autoNormalize="true">`,
    ...folderDevices,
    `  </folder>`,
    `  <gui enabled="true" tls="false" debugging="false">`,
    `    <address>${SYNCTHING_GUI_ADDRESS}</address>`,
    `    <apikey>${text(c.apiKey)}</apikey>`,
    `  </gui>`,
    `  <options>`,
    `    <listenAddress>tcp://${text(c.listenIp)}:${SYNCTHING_PORT}</listenAddress>`,
    ...PRIVATE_OPTIONS_XML,
    `    <restartOnWakeup>false</restartOnWakeup>`,
    // The default is 60 s: a dial that races the peer's start would stall the
    // test for a minute. 5 s is the least Syncthing accepts (it raises lower values).
    `    <reconnectionIntervalS>5</reconnectionIntervalS>`,
    `    <setLowPriority>false</setLowPriority>`,
    `  </options>`,
    `</configuration>`,
    '',
  ].join('\n');
}

/**
 * The <options> lines that keep a Syncthing from reaching anything but its
 * configured peers: no discovery, relays, NAT traversal, reporting or upgrades.
 */
export const PRIVATE_OPTIONS_XML: readonly string[] = [
  `    <globalAnnounceEnabled>false</globalAnnounceEnabled>`,
  `    <localAnnounceEnabled>false</localAnnounceEnabled>`,
  `    <relaysEnabled>false</relaysEnabled>`,
  `    <natEnabled>false</natEnabled>`,
  `    <announceLANAddresses>false</announceLANAddresses>`,
  // -1: usage reporting declined (0 would only mean "not asked yet").
  `    <urAccepted>-1</urAccepted>`,
  `    <crashReportingEnabled>false</crashReportingEnabled>`,
  `    <autoUpgradeIntervalH>0</autoUpgradeIntervalH>`,
  `    <startBrowser>false</startBrowser>`,
];

export interface SyncthingStartOptions {
  readonly identity: SyncthingIdentity;
  readonly name: string;
  readonly listenIp: string;
  readonly peers: readonly SyncthingPeer[];
  readonly folder: SyncthingFolder;
  /** Default: a random one. */
  readonly apiKey?: string;
  /** Also append the log to this file, for diagnostics after a failure. */
  readonly logPath?: string;
  /** How long to wait for the REST API to answer (default 15 s). */
  readonly startTimeoutMs?: number;
}

/** What `/rest/system/connections` says about one peer. */
export interface SyncthingConnection {
  readonly connected: boolean;
  /** The peer's "ip:port" as seen on the connection; "" when not connected. */
  readonly address: string;
  /** e.g. "tcp-client" (we dialled) or "tcp-server" (it dialled us). */
  readonly type: string;
}

export class SyncthingInstance extends HostProgram {
  readonly deviceId: string;
  readonly folder: SyncthingFolder;
  private readonly underlay: Underlay;
  private readonly apiKey: string;

  private constructor(underlay: Underlay, host: UnderlayHost, options: SyncthingStartOptions, apiKey: string, child: ChildProcess) {
    super(host, child, options.logPath);
    this.underlay = underlay;
    this.deviceId = options.identity.deviceId;
    this.folder = options.folder;
    this.apiKey = apiKey;
  }

  /**
   * Writes the config, creates the folder (with Syncthing's `.stfolder`
   * marker, without which it refuses to sync a folder), starts
   * `syncthing serve` in the host's namespace and waits until its REST API
   * answers. The process is the Underlay's child, so `destroy()` kills it too.
   */
  static async start(underlay: Underlay, host: UnderlayHost, options: SyncthingStartOptions): Promise<SyncthingInstance> {
    const apiKey = options.apiKey ?? crypto.randomUUID().replaceAll('-', '');
    const { identity } = options;
    await writeFile(
      join(identity.home, 'config.xml'),
      syncthingConfigXml({
        configVersion: identity.configVersion,
        deviceId: identity.deviceId,
        name: options.name,
        listenIp: options.listenIp,
        apiKey,
        peers: options.peers,
        folder: options.folder,
      }),
      { mode: 0o600 },
    );
    await mkdir(join(options.folder.path, '.stfolder'), { recursive: true });
    const child = underlay.spawn(host, 'syncthing', [
      'serve',
      '--home',
      identity.home,
      '--no-browser',
      '--no-restart',
      '--no-upgrade',
      '--logflags=3',
    ]);
    const instance = new SyncthingInstance(underlay, host, options, apiKey, child);
    return HostProgram.readyOrStopped(instance, 'syncthing', () => instance.waitForApi(options.startTimeoutMs ?? 15_000));
  }

  /** GET on the REST API, from inside the namespace; parsed JSON. */
  async rest<T = unknown>(path: string): Promise<T> {
    const url = `http://${SYNCTHING_GUI_ADDRESS}${path}`;
    const result = await this.underlay.exec(this.host, 'curl', ['-sS', '-f', '--max-time', '5', '-H', `X-API-Key: ${this.apiKey}`, url]);
    return JSON.parse(result.stdout) as T;
  }

  /** Peers by device ID, as `/rest/system/connections` reports them. */
  async connections(): Promise<Record<string, SyncthingConnection>> {
    const body = await this.rest<{ connections: Record<string, SyncthingConnection> }>('/rest/system/connections');
    return body.connections;
  }

  /** Resolves with the connection once the peer is connected; rejects after `timeoutMs`. */
  async waitForConnection(peerId: string, timeoutMs: number): Promise<SyncthingConnection> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const connection = (await this.connections())[peerId];
      if (connection?.connected) return connection;
      if (Date.now() > deadline) throw new Error(`syncthing on ${this.host.name} not connected to ${peerId} within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /**
   * Resolves once Syncthing has dialled this address at least once (success
   * or not), with the result `/rest/system/status` keeps for it.
   */
  async waitForDial(address: string, timeoutMs: number): Promise<{ when: string; error: string | null }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.rest<{ lastDialStatus?: Record<string, { when: string; error: string | null }> }>('/rest/system/status');
      const dial = status.lastDialStatus?.[address];
      if (dial) return dial;
      if (Date.now() > deadline) throw new Error(`syncthing on ${this.host.name} did not dial ${address} within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /**
   * The monitor process we started and the Syncthing process it runs (1.19's
   * `serve` always starts the real work in a child; SIGTERM to the monitor
   * stops both).
   */
  async processIds(): Promise<number[]> {
    const monitor = this.pid;
    if (monitor === undefined || !this.running) return [];
    const inNamespace = (await execText('ip', ['netns', 'pids', this.host.ns])).split(/\s+/).filter(Boolean).map(Number);
    const children: number[] = [];
    for (const pid of inNamespace) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      if (new RegExp(`^PPid:\\s+${monitor}$`, 'm').test(status)) children.push(pid);
    }
    return [monitor, ...children];
  }

  /**
   * Local "ip:port" of every TCP and UDP socket these processes hold,
   * listening or connected (`ss` in the namespace): where they can talk from.
   */
  async socketAddresses(): Promise<string[]> {
    const pids = await this.processIds();
    const result = await this.underlay.exec(this.host, 'ss', ['-Htuanp']);
    const local: string[] = [];
    for (const line of result.stdout.split('\n')) {
      if (!pids.some((pid) => line.includes(`pid=${pid},`))) continue;
      // Netid State Recv-Q Send-Q Local Peer Process
      const address = line.trim().split(/\s+/)[4];
      if (address) local.push(address);
    }
    return local;
  }

  private async waitForApi(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`syncthing on ${this.host.name} exited (${this.process.exitStatus})`);
      const ping = await this.rest<{ ping?: string }>('/rest/system/ping').catch(() => undefined);
      if (ping?.ping === 'pong') return;
      if (Date.now() > deadline) throw new Error(`syncthing REST API on ${this.host.name} not up within ${timeoutMs} ms`);
      await sleep(100);
    }
  }



}

// --- internals -------------------------------------------------------------

function attr(value: string): string {
  return text(value).replaceAll('"', '&quot;');
}

function text(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function execText(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 15_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
