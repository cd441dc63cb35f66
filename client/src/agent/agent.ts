// NebulaAgent: what keeps a device on its project's overlay for months, as
// `dnclient` or `tailscaled` do for theirs. It
//  - registers on first run (with the user's session) and sets the device's
//    own API key, else resumes from the project directory's files;
//  - runs the real nebula binary as a child, restarting it with backoff;
//  - renews the certificate when two thirds of its lifetime have passed,
//    installs the bundle atomically and restarts nebula < 1.8 (its SIGHUP
//    keeps tunnels on the old certificate, dropped when it expires), else
//    makes it reload;
//  - polls the config with ETag and reloads when it changes; when the
//    blocklist grows on nebula < 1.7 it restarts nebula instead, because
//    1.6's SIGHUP keeps established tunnels of a blocklisted peer up;
//  - follows CA rotations named in the config: rewrites ca.crt, renews onto
//    the signing CA (ca-rotation.ts);
//  - sends heartbeats;
//  - when given a Syncthing, keeps it in step with the project's peers and
//    reports its folders' sync state (syncthing-sync.ts);
//  - stops for good when the server says the device is revoked (410);
//  - writes its state to agent.json for `vidsync status`, one log line per event.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { isVidsyncError, VidsyncError } from '../../../supabase/functions/_shared/errors.ts';
import {
  ed25519PrivateKeyToPem,
  fingerprint,
  generateEd25519KeyPair,
  parseCertificatePem,
  parseEd25519PrivateKeyPem,
} from '../../../supabase/functions/_shared/nebula-cert/index.ts';
import { installBundle } from '../client.ts';
import type { NebulaClient } from '../client.ts';
import { BUNDLE_FILES, readTextIfExists, writeFileAtomic } from '../files.ts';
import { loadRegisteredIdentity, readDeviceFile } from '../identity.ts';
import { localizeConfig } from '../install-config.ts';
import { DeviceApi } from './device-api.ts';
import { CaRotation } from './ca-rotation.ts';
import { compareVersions, DISCONNECT_INVALID_VERSION, NebulaProcess, nebulaVersion, REHANDSHAKE_ON_RELOAD_VERSION } from './nebula-process.ts';
import type { Version } from './nebula-process.ts';
import { AgentSyncthing } from './syncthing-sync.ts';
import type { AgentSyncthingOptions, SyncthingAgentState } from './syncthing-sync.ts';

export const AGENT_VERSION = '0.1.0';
/** The device's Ed25519 API key, next to host.key (mode 0600). */
export const API_KEY_FILE = 'api.key';
/** What `vidsync status` reads. */
export const AGENT_STATE_FILE = 'agent.json';
/**
 * Config poll interval: the revocation goal is a peer refusing a revoked
 * device within 60 s of the revoke call; 15 s of polling plus a nebula
 * restart (about 1-2 s) leaves room for a slow poll or two.
 */
export const DEFAULT_CONFIG_POLL_SECONDS = 15;
export const DEFAULT_HEARTBEAT_SECONDS = 60;

export interface NebulaAgentOptions {
  readonly projectId: string;
  /** The project's directory (default: the client's, else ~/.vidsync/nebula/<projectId>). */
  readonly dir: string;
  /** `<SUPABASE_URL>/functions/v1`. */
  readonly functionsUrl: string;
  /** Registers on first run, with the signed-in user. Not needed to resume. */
  readonly client?: NebulaClient;
  readonly deviceName?: string;
  /** The user's access token when there is a session; else the agent signs with the device's API key. */
  readonly accessToken?: () => Promise<string | null>;
  readonly nebulaPath?: string;
  /** Runs nebula through this command (e.g. `ip netns exec <ns>`). */
  readonly nebulaWrapper?: readonly string[];
  readonly configPollSeconds?: number;
  readonly heartbeatSeconds?: number;
  readonly log?: (line: string) => void;
  /** nebula's own output, line by line. */
  readonly onNebulaOutput?: (line: string) => void;
  /** A local Syncthing to keep in step with the project's peers (nothing Syncthing-related without it). */
  readonly syncthing?: AgentSyncthingOptions;
}

export type AgentPhase = 'starting' | 'running' | 'revoked' | 'stopped' | 'failed';

export interface AgentState {
  phase: AgentPhase;
  pid: number;
  projectId: string;
  deviceId?: string;
  ip?: string;
  fingerprint?: string;
  notAfter?: string;
  nebulaPid?: number;
  nebulaVersion?: string;
  nebulaStarts?: number;
  lighthouses?: string[];
  /** Lighthouses nebula completed a handshake with since it started, and has not timed out on since. */
  lighthousesReachable?: string[];
  blocklist?: number;
  lastRenewalAt?: string;
  nextRenewalAt?: string;
  lastHeartbeatAt?: string;
  lastConfigAt?: string;
  lastError?: string;
  updatedAt?: string;
  /** When the agent drives a Syncthing: its device ID, peers and folders' sync state. */
  syncthing?: SyncthingAgentState;
}

export class NebulaAgent {
  readonly #o: NebulaAgentOptions;
  readonly #log: (line: string) => void;
  #api!: DeviceApi;
  #nebula!: NebulaProcess;
  #version!: Version;
  #timers: ReturnType<typeof setTimeout>[] = [];
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  #etag: string | null = null;
  readonly #reachable = new Set<string>();
  #blocklist = new Set<string>();
  #busy: Promise<unknown> = Promise.resolve();
  #caRotation!: CaRotation;
  #syncthing: AgentSyncthing | undefined;
  #heartbeatSoon: ReturnType<typeof setTimeout> | undefined;
  #state: AgentState;
  #finish!: (phase: AgentPhase) => void;
  /** Resolves when the agent has stopped: 'stopped' (asked to), 'revoked' (by the server) or 'failed'. */
  readonly done: Promise<AgentPhase>;

  constructor(options: NebulaAgentOptions) {
    this.#o = options;
    this.#log = options.log ?? ((line) => console.log(`${new Date().toISOString()} ${line}`));
    this.#state = { phase: 'starting', pid: process.pid, projectId: options.projectId };
    this.done = new Promise((resolve) => (this.#finish = resolve));
  }

  get state(): Readonly<AgentState> {
    return this.#state;
  }

  /** Registers or resumes, starts nebula and the timers. Rejects (and stops) if it cannot get going. */
  async start(): Promise<void> {
    try {
      this.#version = await nebulaVersion(this.#o.nebulaPath);
      this.#state.nebulaVersion = this.#version.join('.');
      const { deviceId, apiKey } = await this.#ensureRegistered();
      this.#api = new DeviceApi({ functionsUrl: this.#o.functionsUrl, deviceId, accessToken: this.#o.accessToken, apiKey });
      this.#caRotation = new CaRotation({ dir: this.#o.dir, fetchCaPem: () => this.#api.caBundle(), pollSeconds: this.#o.configPollSeconds ?? DEFAULT_CONFIG_POLL_SECONDS });
      this.#state.deviceId = deviceId;
      await this.#readInstalled();
      this.#nebula = new NebulaProcess({
        nebulaPath: this.#o.nebulaPath,
        configPath: join(this.#o.dir, BUNDLE_FILES.config),
        wrapper: this.#o.nebulaWrapper,
        // Starts, exits and restarts are events: agent.json follows them at once.
        log: (line) => {
          this.#event(line);
          void this.#save().catch(() => undefined);
        },
        onOutput: (line) => {
          this.#watchLighthouses(line);
          this.#o.onNebulaOutput?.(line);
        },
      });
      this.#nebula.start();
      this.#state.phase = 'running';
      await this.#save();
      this.#scheduleRenewal();
      this.#every((this.#o.configPollSeconds ?? DEFAULT_CONFIG_POLL_SECONDS) * 1000, () => this.#pollConfig());
      this.#every((this.#o.heartbeatSeconds ?? DEFAULT_HEARTBEAT_SECONDS) * 1000, () => this.#heartbeat(), true);
      if (this.#o.syncthing) this.#startSyncthing(this.#o.syncthing);
    } catch (error) {
      await this.#end('failed', error);
      throw error;
    }
  }

  /** Stops nebula and every timer; nothing is left running. */
  async stop(): Promise<void> {
    await this.#end('stopped');
  }

  /** Renews now (the timer calls this at two thirds of the lifetime). */
  renewNow(): Promise<void> {
    return this.#serial(() => this.#renew());
  }

  /** Polls the config now. */
  pollNow(): Promise<void> {
    return this.#serial(() => this.#pollConfig());
  }

  #startSyncthing(options: AgentSyncthingOptions): void {
    this.#syncthing = new AgentSyncthing({
      syncthing: options,
      dir: this.#o.dir,
      api: this.#api,
      log: (line) => {
        this.#event(line);
        void this.#save().catch(() => undefined);
      },
      // A folder's state changed: report it within a second (one heartbeat for a burst of changes).
      onChange: () => {
        if (this.#heartbeatSoon) return;
        this.#heartbeatSoon = setTimeout(() => {
          this.#heartbeatSoon = undefined;
          void this.#serial(() => this.#heartbeat());
        }, 1_000);
      },
      onRevoked: (error) => this.#revokedBy(error),
    });
    this.#state.syncthing = this.#syncthing.state;
    this.#syncthing.start();
  }

  /** Polls the peers now and applies them to Syncthing (the timer does it every few seconds). */
  pollPeersNow(): Promise<void> {
    return this.#syncthing?.pollPeersNow() ?? Promise.resolve();
  }

  async #ensureRegistered(): Promise<{ deviceId: string; apiKey?: Uint8Array }> {
    const dir = this.#o.dir;
    const device = await readDeviceFile(dir);
    const installed = device?.ip && (await readTextIfExists(join(dir, BUNDLE_FILES.certificate)));
    let apiKeyPem = await readTextIfExists(join(dir, API_KEY_FILE));
    if (device && installed) {
      this.#event(`resuming device ${device.deviceId} (${device.ip})`);
    } else {
      if (!this.#o.client || !this.#o.deviceName) {
        // Name what is missing: a first run needs both.
        const missing = [this.#o.client ? null : 'a signed-in user (a token)', this.#o.deviceName ? null : 'a device name (-name)'].filter(Boolean).join(' and ');
        throw new VidsyncError('validation_failed', `this device is not registered yet: its first run needs ${missing}`);
      }
      const reg = await this.#o.client.register({ projectId: this.#o.projectId, deviceName: this.#o.deviceName, dir });
      this.#event(`registered device ${reg.deviceId} as ${reg.cidr}`);
    }
    if (!apiKeyPem && this.#o.client) {
      // The device's own credential, for when no one is signed in. (By id: `dir` need not be the client's directory.)
      const pair = await generateEd25519KeyPair();
      await this.#o.client.setDeviceCredential(this.#o.projectId, pair.publicKey, { deviceId: (await readDeviceFile(dir))!.deviceId });
      apiKeyPem = ed25519PrivateKeyToPem(pair.privateKey);
      await writeFileAtomic(join(dir, API_KEY_FILE), apiKeyPem, 0o600);
      this.#event('device API key set');
    }
    const deviceId = (await readDeviceFile(dir))!.deviceId;
    return { deviceId, apiKey: apiKeyPem ? parseEd25519PrivateKeyPem(apiKeyPem).privateKey : undefined };
  }

  /** Reads what is installed: certificate, lighthouses, blocklist. */
  async #readInstalled(): Promise<void> {
    const certPem = await readFile(join(this.#o.dir, BUNDLE_FILES.certificate), 'utf8');
    const cert = parseCertificatePem(certPem);
    this.#state.fingerprint = await fingerprint(cert);
    this.#state.notAfter = cert.details.notAfter.toISOString();
    this.#state.ip = (await readDeviceFile(this.#o.dir))?.ip;
    const config = YAML.parse(await readFile(join(this.#o.dir, BUNDLE_FILES.config), 'utf8')) as NebulaYaml;
    this.#blocklist = new Set(config?.pki?.blocklist ?? []);
    this.#state.blocklist = this.#blocklist.size;
    this.#state.lighthouses = config?.lighthouse?.hosts ?? [];
  }

  #scheduleRenewal(): void {
    clearTimeout(this.#renewTimer);
    void (async () => {
      // Two thirds of the lifetime as this device received it (node.crt's mtime): NotBefore is backdated for clock skew.
      const received = (await stat(join(this.#o.dir, BUNDLE_FILES.certificate))).mtimeMs;
      const notAfter = Date.parse(this.#state.notAfter!);
      const at = received + ((notAfter - received) * 2) / 3;
      this.#state.nextRenewalAt = new Date(at).toISOString();
      await this.#save();
      if (this.#state.phase !== 'running') return;
      this.#renewTimer = setTimeout(() => void this.#serial(() => this.#renew()), Math.max(0, at - Date.now()));
    })();
  }

  async #renew(): Promise<void> {
    if (this.#state.phase !== 'running') return;
    try {
      const response = await this.#api.renew();
      // The key the certificate was renewed for; never a new one.
      const identity = await loadRegisteredIdentity(this.#o.dir, this.#o.projectId);
      const device = await readDeviceFile(this.#o.dir);
      await installBundle(this.#o.dir, response, identity.publicKey, { projectId: this.#o.projectId, deviceName: device?.deviceName ?? '' });
      const before = new Set(this.#blocklist);
      await this.#readInstalled();
      this.#state.lastRenewalAt = new Date().toISOString();
      this.#event(`renewed: certificate ${response.fingerprint.slice(0, 16)}… valid until ${response.notAfter}`);
      this.#etag = null;
      await this.#reload(before, true);
      this.#scheduleRenewal();
    } catch (error) {
      if (await this.#revokedBy(error)) return;
      this.#state.lastError = describe(error);
      this.#event(`renewal failed (${describe(error)}); retrying in 30 s`);
      await this.#save();
      clearTimeout(this.#renewTimer);
      this.#renewTimer = setTimeout(() => void this.#serial(() => this.#renew()), 30_000);
    }
  }

  async #pollConfig(): Promise<void> {
    if (this.#state.phase !== 'running') return;
    try {
      const answer = await this.#api.config(this.#etag);
      this.#state.lastConfigAt = new Date().toISOString();
      if (!answer.changed) return;
      const path = join(this.#o.dir, BUNDLE_FILES.config);
      const localized = localizeConfig(answer.yaml, this.#o.dir);
      const current = await readTextIfExists(path);
      this.#etag = answer.etag;
      if (current === localized) return;
      await writeFileAtomic(path, localized);
      // A failed CA step is retried by the next poll: forget the ETag.
      const ca = await this.#caRotation.afterConfig(answer.yaml).catch((error) => ((this.#etag = null), Promise.reject(error)));
      const before = new Set(this.#blocklist);
      await this.#readInstalled();
      this.#event(`config changed (lighthouses ${this.#state.lighthouses?.join(', ') || 'none'}, blocklist ${this.#blocklist.size})`);
      if (ca.note) this.#event(ca.note);
      await this.#reload(before, false, ca.shrank);
      if (ca.renewInMs !== undefined) {
        clearTimeout(this.#renewTimer);
        this.#renewTimer = setTimeout(() => void this.#serial(() => this.#renew()), ca.renewInMs);
      }
    } catch (error) {
      if (await this.#revokedBy(error)) return;
      this.#state.lastError = describe(error);
      this.#event(`config poll failed (${describe(error)})`);
    } finally {
      await this.#save();
    }
  }

  async #heartbeat(): Promise<void> {
    if (this.#state.phase !== 'running') return;
    try {
      await this.#api.heartbeat({
        nebulaVersion: this.#version.join('.'),
        agentVersion: AGENT_VERSION,
        fingerprint: this.#state.fingerprint,
        ...(this.#syncthing ? { folders: this.#syncthing.state.folders } : {}),
      });
      this.#state.lastHeartbeatAt = new Date().toISOString();
    } catch (error) {
      if (await this.#revokedBy(error)) return;
      this.#state.lastError = describe(error);
      this.#event(`heartbeat failed (${describe(error)})`);
    } finally {
      await this.#save();
    }
  }

  /**
   * Which lighthouses answer, from nebula's own log (1.6.1, logging.format
   * text): "Handshake message received" with the lighthouse's vpnIp means
   * reachable, "Handshake timed out" for it means not; a new nebula starts
   * with none.
   */
  #watchLighthouses(line: string): void {
    if (line.includes('Nebula interface is active')) this.#reachable.clear();
    const ip = /vpnIp=([0-9.]+)/.exec(line)?.[1];
    if (!ip || !this.#state.lighthouses?.includes(ip)) return;
    const before = this.#reachable.has(ip);
    if (line.includes('Handshake message received')) this.#reachable.add(ip);
    else if (line.includes('Handshake timed out')) this.#reachable.delete(ip);
    else return;
    if (before === this.#reachable.has(ip)) return;
    this.#state.lighthousesReachable = [...this.#reachable].sort();
    this.#event(`lighthouse ${ip} ${this.#reachable.has(ip) ? 'reachable' : 'unreachable'}`);
    void this.#save().catch(() => undefined);
  }

  /**
   * SIGHUP, or a restart where nebula < 1.7 would keep a newly blocklisted peer's tunnel up (or the tunnel of a
   * peer whose CA left the trust set), or, after a renewal, where nebula < 1.8 would keep its tunnels on the old
   * certificate until it expires (then drop them).
   */
  async #reload(blocklistBefore: ReadonlySet<string>, renewed = false, trustShrank = false): Promise<void> {
    const grew = [...this.#blocklist].some((fp) => !blocklistBefore.has(fp));
    if ((grew || trustShrank) && compareVersions(this.#version, DISCONNECT_INVALID_VERSION) < 0) {
      this.#event(`${grew ? 'blocklist grew' : 'a CA left the trust set'} on nebula ${this.#version.join('.')}: restarting nebula`);
      await this.#nebula.restart();
    } else if (renewed && compareVersions(this.#version, REHANDSHAKE_ON_RELOAD_VERSION) < 0) {
      this.#event(`renewed on nebula ${this.#version.join('.')}: restarting nebula so that tunnels are rebuilt on the new certificate`);
      await this.#nebula.restart();
    } else {
      this.#event('nebula reloading (SIGHUP)');
      this.#nebula.reload();
    }
    this.#state.nebulaPid = this.#nebula.pid;
    this.#state.nebulaStarts = this.#nebula.starts;
  }

  /** A 410 from the server: the device is revoked or released; stop and do not retry. */
  async #revokedBy(error: unknown): Promise<boolean> {
    if (!isVidsyncError(error, 'device_revoked') && !isVidsyncError(error, 'credential_revoked')) return false;
    this.#event(`the server revoked this device (${error instanceof Error ? error.message : String(error)}); stopping`);
    await this.#end('revoked', error);
    return true;
  }

  #every(ms: number, fn: () => Promise<void>, now = false): void {
    const tick = () => void this.#serial(fn);
    if (now) tick();
    this.#timers.push(setInterval(tick, ms));
  }

  /** One network step at a time: a renewal and a config poll never interleave their reloads. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#busy.then(fn, fn);
    this.#busy = next.catch(() => undefined);
    return next;
  }

  async #end(phase: AgentPhase, error?: unknown): Promise<void> {
    if (this.#state.phase === 'stopped' || this.#state.phase === 'revoked' || this.#state.phase === 'failed') return;
    this.#state.phase = phase;
    for (const t of this.#timers) clearInterval(t);
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#heartbeatSoon);
    this.#syncthing?.stop();
    await this.#nebula?.stop();
    if (error !== undefined) this.#state.lastError = describe(error);
    this.#state.nebulaPid = undefined;
    this.#event(`agent ${phase}`);
    await this.#save().catch(() => undefined);
    this.#finish(phase);
  }

  #event(line: string): void {
    this.#log(line);
  }

  async #save(): Promise<void> {
    if (this.#nebula) {
      this.#state.nebulaPid = this.#nebula.pid;
      this.#state.nebulaStarts = this.#nebula.starts;
    }
    this.#state.updatedAt = new Date().toISOString();
    await writeFileAtomic(join(this.#o.dir, AGENT_STATE_FILE), JSON.stringify(this.#state, null, 2) + '\n');
  }
}

/** The state an agent last wrote for a project directory, or undefined. */
export async function readAgentState(dir: string): Promise<AgentState | undefined> {
  const text = await readTextIfExists(join(dir, AGENT_STATE_FILE));
  return text ? (JSON.parse(text) as AgentState) : undefined;
}

interface NebulaYaml {
  pki?: { blocklist?: string[] };
  lighthouse?: { hosts?: string[] };
}

function describe(error: unknown): string {
  return isVidsyncError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
}
