// The agent's Syncthing part: keeps a local Syncthing in step with the
// project, with no hand configuration. It
//  - waits for Syncthing's REST API (it may start after the agent);
//  - tells the cloud this Syncthing's device ID when the cloud does not have
//    it yet (PUT /devices/:id/syncthing);
//  - polls GET /peers with its ETag and hands every change to the
//    SyncthingBridge: peers that join are added and get our folders, peers
//    that leave (released, revoked) are removed from them and from Syncthing;
//  - shares the folders it was given (the same folder id on every device
//    makes them one folder);
//  - reads each folder's sync state from Syncthing (/rest/db/status, and
//    /rest/folder/errors when files fail) for the heartbeat and
//    `vidsync status`, and says when a state changed, so that the agent
//    reports "syncing" -> "idle" without waiting for its next heartbeat.
import { join } from 'node:path';
import { isVidsyncError } from '../../../supabase/functions/_shared/errors.ts';
import { isDisplayText } from '../../../supabase/functions/_shared/display-text.ts';
import {
  MAX_SYNC_FOLDER_ERROR_CHARS,
  MAX_SYNC_FOLDER_ERRORS,
  MAX_SYNC_FOLDER_LABEL_CHARS,
  MAX_SYNC_FOLDERS,
} from '../../../supabase/functions/_shared/limits.ts';
import { syncFolderState } from '../../../supabase/functions/_shared/syncthing/index.ts';
import type { SyncFolderState } from '../projects-read.ts';
import { SyncthingBridge } from '../syncthing/bridge.ts';
import type { ShareOptions } from '../syncthing/bridge.ts';
import type { SyncthingApiOptions } from '../syncthing/rest.ts';
import type { DeviceApi } from './device-api.ts';

/**
 * Peers poll: a device that joins is added by the others at their next poll,
 * and that is most of the time from `vidsync up` on a new device to its
 * first file (goal <= 10 s). An unchanged list is a 304 without a body.
 */
export const DEFAULT_PEERS_POLL_SECONDS = 5;
/** Folder state is read from the local Syncthing this often (no network). */
export const DEFAULT_FOLDER_POLL_SECONDS = 2;
/** The bridge's record of what it owns, in the project directory. */
export const SYNCTHING_BRIDGE_STATE_FILE = 'syncthing-bridge.json';

export interface AgentSyncthingOptions extends SyncthingApiOptions {
  /** Folders to share with every peer of the project. */
  readonly share?: readonly Omit<ShareOptions, 'peers'>[];
  /** Default `<project dir>/syncthing-bridge.json`. */
  readonly stateFile?: string;
  readonly peersPollSeconds?: number;
  readonly folderPollSeconds?: number;
}

/** What `vidsync status` shows of Syncthing (in agent.json). */
export interface SyncthingAgentState {
  /** This Syncthing's device ID, once its REST API answered. */
  deviceId?: string;
  /** When the REST API first answered, and when the bridge first applied the peers. */
  apiUpAt?: string;
  configuredAt?: string;
  /** Peers with a Syncthing device ID, as last applied. */
  peers?: number;
  folders: SyncFolderState[];
  lastError?: string;
}

export class AgentSyncthing {
  readonly #o: AgentSyncthingOptions;
  readonly #api: DeviceApi;
  readonly #log: (line: string) => void;
  /** Called when a folder's state or error count changed (the agent sends a heartbeat). */
  readonly #onChange: () => void;
  readonly #onRevoked: (error: unknown) => Promise<boolean>;
  #bridge: SyncthingBridge | undefined;
  #etag: string | null = null;
  #timers: ReturnType<typeof setInterval>[] = [];
  #stopped = false;
  #busy: Promise<unknown> = Promise.resolve();
  readonly state: SyncthingAgentState = { folders: [] };

  constructor(options: {
    syncthing: AgentSyncthingOptions;
    dir: string;
    api: DeviceApi;
    log: (line: string) => void;
    onChange: () => void;
    /** Whether the error means the device is revoked (then the agent stops, and so does this). */
    onRevoked: (error: unknown) => Promise<boolean>;
  }) {
    this.#o = { ...options.syncthing, stateFile: options.syncthing.stateFile ?? join(options.dir, SYNCTHING_BRIDGE_STATE_FILE) };
    this.#api = options.api;
    this.#log = options.log;
    this.#onChange = options.onChange;
    this.#onRevoked = options.onRevoked;
  }

  /** Starts in the background: Syncthing may come up later than the agent. */
  start(): void {
    void this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
  }

  /** Polls the peers now (tests; the timer does it every few seconds). */
  pollPeersNow(): Promise<void> {
    return this.#serial(() => this.#pollPeers());
  }

  async #connect(): Promise<void> {
    let delay = 100;
    let said = false;
    while (!this.#stopped) {
      try {
        const bridge = await SyncthingBridge.open({ ...this.#o, stateFile: this.#o.stateFile! });
        this.state.deviceId = await bridge.deviceId();
        this.#bridge = bridge;
        break;
      } catch (error) {
        // Not up yet (no socket, no config.xml, connection refused): keep trying, quietly after the first time.
        if (!said) this.#log(`syncthing: waiting for its REST API (${describe(error)})`);
        said = true;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 2_000);
      }
    }
    if (this.#stopped) return;
    this.state.apiUpAt = new Date().toISOString();
    this.#log(`syncthing: REST API up at ${this.#bridge!.api.url}, device ID ${this.state.deviceId}`);
    await this.#serial(() => this.#pollPeers());
    this.#timers.push(setInterval(() => void this.#serial(() => this.#pollPeers()), (this.#o.peersPollSeconds ?? DEFAULT_PEERS_POLL_SECONDS) * 1000));
    this.#timers.push(setInterval(() => void this.#serial(() => this.#readFolders()), (this.#o.folderPollSeconds ?? DEFAULT_FOLDER_POLL_SECONDS) * 1000));
  }

  async #pollPeers(): Promise<void> {
    if (this.#stopped || !this.#bridge) return;
    try {
      const answer = await this.#api.peers(this.#etag);
      if (!answer.changed) return;
      let list = answer.list;
      if (list.syncthingDeviceId !== this.state.deviceId) {
        await this.#api.setSyncthingDeviceId(this.state.deviceId!);
        this.#log(`syncthing: told the cloud this device's Syncthing ID ${this.state.deviceId}`);
        list = { ...list, syncthingDeviceId: this.state.deviceId! };
      }
      const changes = await this.#bridge.setPeers(list);
      const first = !this.state.configuredAt;
      for (const folder of this.#o.share ?? []) await this.#bridge.share(folder);
      this.#etag = answer.etag;
      this.state.peers = list.peers.filter((p) => p.syncthingDeviceId && p.syncthingDeviceId !== this.state.deviceId).length;
      this.state.configuredAt ??= new Date().toISOString();
      const what = [
        changes.added.length ? `added ${changes.added.length}` : '',
        changes.updated.length ? `updated ${changes.updated.length}` : '',
        changes.removed.length ? `removed ${changes.removed.length}` : '',
        changes.options.length ? `options ${changes.options.join(',')}` : '',
      ].filter(Boolean);
      if (first || what.length) this.#log(`syncthing: in step with ${this.state.peers} peers${what.length ? ` (${what.join('; ')})` : ''}`);
      this.state.lastError = undefined;
      await this.#readFolders();
    } catch (error) {
      if (await this.#onRevoked(error)) return;
      this.state.lastError = describe(error);
      this.#log(`syncthing: peers poll failed (${describe(error)})`);
    }
  }

  async #readFolders(): Promise<void> {
    if (this.#stopped || !this.#bridge) return;
    try {
      const owned = (await this.#bridge.owned()).folders.slice(0, MAX_SYNC_FOLDERS);
      const labels = new Map((this.#o.share ?? []).map((f) => [f.folderId, f.label]));
      const folders: SyncFolderState[] = [];
      for (const folderId of owned) {
        const s = await this.#bridge.folderStatus(folderId);
        let error = s.error ?? undefined;
        if (!error && s.pullErrors > 0) error = await this.#firstPullError(folderId);
        const label = displayText(labels.get(folderId), MAX_SYNC_FOLDER_LABEL_CHARS);
        const message = displayText(error, MAX_SYNC_FOLDER_ERROR_CHARS);
        folders.push({
          folderId,
          ...(label ? { label } : {}),
          state: syncFolderState(s.state),
          // Two decimals: enough for a progress bar, and a stable heartbeat.
          completion: Math.floor(s.completion * 100) / 100,
          errors: Math.min(MAX_SYNC_FOLDER_ERRORS, s.pullErrors + (s.error ? 1 : 0)),
          ...(message ? { error: message } : {}),
          needBytes: s.needBytes,
        });
      }
      const before = transitions(this.state.folders);
      this.state.folders = folders;
      if (transitions(folders) !== before) this.#onChange();
    } catch (error) {
      this.state.lastError = describe(error);
    }
  }

  async #firstPullError(folderId: string): Promise<string | undefined> {
    const answer = await this.#bridge!.api.get<{ errors?: { path: string; error: string }[] | null }>(`/rest/folder/errors?folder=${encodeURIComponent(folderId)}`);
    const first = answer.errors?.[0];
    return first ? `${first.path}: ${first.error}` : undefined;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#busy.then(fn, fn);
    this.#busy = next.catch(() => undefined);
    return next;
  }
}

/** What the server writes at once inside its no-write window: each folder's state and error count. */
function transitions(folders: readonly SyncFolderState[]): string {
  return JSON.stringify(folders.map((f) => [f.folderId, f.state, f.errors]));
}

/** Syncthing's words made display text (no control or invisible characters, cut to `max`), or undefined. */
function displayText(text: string | undefined, max: number): string | undefined {
  if (!text) return undefined;
  const cleaned = [...text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ').trim()].slice(0, max).join('').trim();
  return cleaned && isDisplayText(cleaned, max) ? cleaned : undefined;
}

function describe(error: unknown): string {
  return isVidsyncError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
}
