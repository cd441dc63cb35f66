// SyncthingBridge: makes a local Syncthing (1.19+) sync folders with the
// other devices of a VidSync project over the project's Nebula overlay, and
// nothing else, through Syncthing's REST config API.
//
// What it changes in Syncthing, and why:
//  - options, for a private overlay: listen on the overlay address only
//    (tcp://<our overlay IP>:22000); global and local discovery, relays, NAT
//    traversal (UPnP/NAT-PMP), LAN-address announcements, usage and crash
//    reporting off; the project's subnet in alwaysLocalNets (so LAN settings,
//    e.g. no rate limits, apply to the overlay); reconnection every 5 s
//    instead of 60 s, so a peer that comes up is reached within seconds.
//  - a device entry per peer (a live device of the project with a Syncthing
//    device ID), named after it, allowed to connect only from the project's
//    subnet (allowedNetworks), never an introducer, never auto-accepting
//    folders. Only one side of each pair dials: the peer with the lower
//    overlay IP gets the other's address tcp://<overlay IP>:22000, the other
//    gets `dynamic`, which with discovery off means "wait to be dialled".
//    Both sides dialling at once (a TCP simultaneous open 22000 <-> 22000)
//    stalled Syncthing 1.19 for 10-30 s in about one run in three. Why the
//    lower IP: addresses are handed out lowest first, so the dialling side
//    is nearly always the device that was there first. It learns of a new
//    device at its next peers poll, and Syncthing dials a device the moment
//    it is added to its config; the new device, had it been the dialler,
//    would have been refused while the others did not know it yet, and its
//    Syncthing redials only on its own schedule (1, 2, 4, 8… s after
//    starting): 6 s or 18 s from `vidsync up` to the first file, depending
//    on which ID sorted first, instead of about 6 s every time.
//  - the folders given to share(), each with every peer or a chosen set.
//
// Ownership: the bridge records what it created (devices, folders) in its
// state file and touches nothing else. A device entry that existed before
// (the user's own) is left as it is, though our folders are still shared
// with it; a folder id that exists but is not ours is refused. Peers that
// leave (released, revoked) are removed from our folders and our device
// entries deleted. Every call converges to the same state: calling it again
// changes nothing.
import { dirname } from 'node:path';
import { VidsyncError } from '../../../supabase/functions/_shared/errors.ts';
import { ipv4ToInt, isIPv4, parseCidr } from '../../../supabase/functions/_shared/net/index.ts';
import { isSyncthingDeviceId } from '../../../supabase/functions/_shared/syncthing/index.ts';
import { ensureDir, readTextIfExists, writeFileAtomic } from '../files.ts';
import type { PeerList } from './peers.ts';
import { SyncthingApi } from './rest.ts';
import type { SyncthingApiOptions } from './rest.ts';

/** Syncthing's customary sync port: every device listens there on its overlay address. */
export const SYNCTHING_SYNC_PORT = 22000;

export interface SyncthingBridgeOptions extends SyncthingApiOptions {
  /** Where the bridge records what it owns (JSON), e.g. `<project dir>/syncthing-bridge.json`. */
  readonly stateFile: string;
  /** The sync port of every device of the project (default 22000). */
  readonly syncPort?: number;
}

export interface ShareOptions {
  /** The same id on every device that shares the folder. */
  readonly folderId: string;
  /** The folder on this machine; Syncthing creates it (and its .stfolder marker) if missing. */
  readonly path: string;
  readonly label?: string;
  /** Cloud device ids of the peers to share with; default every peer, now and later. */
  readonly peers?: readonly string[];
}

/** What one setPeers call changed (all empty when Syncthing already was in step). */
export interface PeerChanges {
  /** Option names set. */
  readonly options: string[];
  /** Syncthing device IDs of device entries created, updated, deleted. */
  readonly added: string[];
  readonly updated: string[];
  readonly removed: string[];
  /** Our folders whose device lists changed. */
  readonly folders: string[];
}

/** What Syncthing says about one of our folders. */
export interface FolderStatus {
  readonly folderId: string;
  /** Syncthing's state: idle, scanning, syncing, error… */
  readonly state: string;
  /** 0-100: how much of the global state this device has. */
  readonly completion: number;
  readonly needBytes: number;
  readonly globalBytes: number;
  /** Syncthing's folder error, if any. */
  readonly error: string | null;
  /** Files that failed to sync. */
  readonly pullErrors: number;
}

interface BridgeState {
  readonly version: 1;
  /** Syncthing device IDs of the device entries we created, with the cloud device id of the peer. */
  devices: Record<string, { peer: string }>;
  /** Folders we created; peers null: every peer. */
  folders: Record<string, { peers: string[] | null }>;
  /** The peer list last applied, so share() knows the peers without asking the cloud. */
  lastPeers: PeerList | null;
}

/** A device entry of Syncthing's config REST API (the fields the bridge reads or writes). */
export interface StDevice {
  deviceID: string;
  name: string;
  addresses: string[];
  allowedNetworks: string[];
  autoAcceptFolders: boolean;
  introducer: boolean;
}

/** A folder of Syncthing's config REST API (the fields the bridge reads or writes). */
export interface StFolder {
  id: string;
  label: string;
  path: string;
  devices: { deviceID: string; introducedBy?: string; encryptionPassword?: string }[];
}

export class SyncthingBridge {
  readonly api: SyncthingApi;
  readonly #stateFile: string;
  readonly #port: number;
  #myId: string | undefined;
  /** One change at a time: setPeers and share read, decide and write the same state. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(api: SyncthingApi, stateFile: string, port: number) {
    this.api = api;
    this.#stateFile = stateFile;
    this.#port = port;
  }

  static async open(options: SyncthingBridgeOptions): Promise<SyncthingBridge> {
    return new SyncthingBridge(await SyncthingApi.open(options), options.stateFile, options.syncPort ?? SYNCTHING_SYNC_PORT);
  }

  /** This Syncthing's own device ID (to tell the cloud: NebulaClient.setSyncthingDeviceId). */
  async deviceId(): Promise<string> {
    this.#myId ??= (await this.api.get<{ myID: string }>('/rest/system/status')).myID;
    return this.#myId;
  }

  /**
   * Brings Syncthing in step with the project's peers (NebulaClient.peers):
   * options for the private overlay, a device entry per peer, our folders
   * shared with the peers they should be, leavers removed. Returns what it
   * changed: nothing, when Syncthing already was in step.
   */
  setPeers(list: PeerList): Promise<PeerChanges> {
    return this.#serial(async () => {
      checkPeerList(list);
      const state = await this.#readState();
      const previous = state.lastPeers;
      state.lastPeers = list;
      const changes: PeerChanges = { options: [], added: [], updated: [], removed: [], folders: [] };
      await this.#applyOptions(list, changes);
      await this.#applyDevices(state, changes);
      await this.#applyFolders(state, previous, changes);
      await this.#writeState(state);
      return changes;
    });
  }

  /** Shares a folder with every peer (or `peers`), now and as peers come and go. Idempotent. */
  share(options: ShareOptions): Promise<void> {
    return this.#serial(async () => {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(options.folderId)) {
        throw new VidsyncError('validation_failed', 'a folder id has 1-64 characters: letters, digits, ".", "_", "-"');
      }
      if (!options.path) throw new VidsyncError('validation_failed', 'a shared folder needs a path');
      const state = await this.#readState();
      const existing = await this.#folder(options.folderId);
      if (existing && !state.folders[options.folderId]) {
        throw new VidsyncError('conflict', `Syncthing already has a folder ${options.folderId} that this bridge did not create; it is left alone`);
      }
      if (existing && existing.path !== options.path) {
        throw new VidsyncError('conflict', `folder ${options.folderId} is already shared from ${existing.path}; unshare it first`);
      }
      // Recorded before it is created: a crash in between leaves a record of a
      // folder that does not exist (harmless), never a folder we forgot we own.
      state.folders[options.folderId] = { peers: options.peers ? [...options.peers] : null };
      await this.#writeState(state);
      const devices = await this.#folderDevices(state, options.folderId, existing, state.lastPeers);
      if (!existing) {
        await this.api.request('POST', '/rest/config/folders', {
          id: options.folderId,
          label: options.label ?? options.folderId,
          path: options.path,
          type: 'sendreceive',
          devices: devices.map((deviceID) => ({ deviceID })),
        });
      } else {
        await this.#patchFolder(existing, devices, options.label);
      }
    });
  }

  /** Stops sharing a folder this bridge created (the files stay). */
  unshare(folderId: string): Promise<void> {
    return this.#serial(async () => {
      const state = await this.#readState();
      if (!state.folders[folderId]) return;
      if (await this.#folder(folderId)) await this.api.request('DELETE', `/rest/config/folders/${encodeURIComponent(folderId)}`);
      delete state.folders[folderId];
      await this.#writeState(state);
    });
  }

  /** How far one of our folders is: state, completion, errors (for heartbeats and `vidsync status`). */
  async folderStatus(folderId: string): Promise<FolderStatus> {
    const q = encodeURIComponent(folderId);
    const status = await this.api.get<{ state: string; error?: string; needBytes: number; globalBytes: number; pullErrors?: number }>(`/rest/db/status?folder=${q}`);
    const completion = status.globalBytes === 0 ? 100 : Math.max(0, Math.min(100, (100 * (status.globalBytes - status.needBytes)) / status.globalBytes));
    return {
      folderId,
      state: status.state,
      completion,
      needBytes: status.needBytes,
      globalBytes: status.globalBytes,
      error: status.error || null,
      pullErrors: status.pullErrors ?? 0,
    };
  }

  /** What this bridge owns, as recorded. */
  async owned(): Promise<{ devices: string[]; folders: string[] }> {
    const state = await this.#readState();
    return { devices: Object.keys(state.devices).sort(), folders: Object.keys(state.folders).sort() };
  }

  // --- the three parts of setPeers ------------------------------------------

  async #applyOptions(list: PeerList, changes: PeerChanges): Promise<void> {
    const wanted = privateOverlayOptions(list.ip, list.subnet, this.#port);
    const current = await this.api.get<Record<string, unknown>>('/rest/config/options');
    const changed = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => JSON.stringify(current[key]) !== JSON.stringify(value)));
    if (Object.keys(changed).length > 0) await this.api.request('PATCH', '/rest/config/options', changed);
    changes.options.push(...Object.keys(changed));
  }

  async #applyDevices(state: BridgeState, changes: PeerChanges): Promise<void> {
    const list = state.lastPeers!;
    const myId = await this.deviceId();
    const present = new Map((await this.api.get<StDevice[]>('/rest/config/devices')).map((d) => [d.deviceID, d]));
    const wanted = peerDevices(list, myId, this.#port);

    for (const device of wanted) {
      const peer = list.peers.find((p) => p.syncthingDeviceId === device.deviceID)!;
      const existing = present.get(device.deviceID);
      if (!existing) {
        state.devices[device.deviceID] = { peer: peer.deviceId };
        await this.#writeState(state);
        await this.api.request('POST', '/rest/config/devices', device);
        changes.added.push(device.deviceID);
      } else if (state.devices[device.deviceID]) {
        state.devices[device.deviceID] = { peer: peer.deviceId };
        const patch = Object.fromEntries(
          Object.entries(device).filter(([key, value]) => JSON.stringify(existing[key as keyof StDevice]) !== JSON.stringify(value)),
        );
        if (Object.keys(patch).length > 0) {
          await this.api.request('PATCH', `/rest/config/devices/${device.deviceID}`, patch);
          changes.updated.push(device.deviceID);
        }
      }
      // else: the user's own entry for this device; ours to share folders with, not to change.
    }

    const keep = new Set(wanted.map((d) => d.deviceID));
    for (const id of Object.keys(state.devices)) {
      if (keep.has(id)) continue;
      // Out of our folders first (Syncthing would drop it from them too, but say so explicitly).
      for (const folder of await this.#ownedFolders(state)) {
        if (folder.devices.some((d) => d.deviceID === id)) {
          if (await this.#patchFolder(folder, folder.devices.map((d) => d.deviceID).filter((d) => d !== id))) changes.folders.push(folder.id);
        }
      }
      if (present.has(id)) await this.api.request('DELETE', `/rest/config/devices/${id}`);
      delete state.devices[id];
      await this.#writeState(state);
      changes.removed.push(id);
    }
  }

  async #applyFolders(state: BridgeState, previous: PeerList | null, changes: PeerChanges): Promise<void> {
    for (const folder of await this.#ownedFolders(state)) {
      if (await this.#patchFolder(folder, await this.#folderDevices(state, folder.id, folder, previous))) changes.folders.push(folder.id);
    }
  }

  /**
   * The devices a folder of ours should list: ourselves, the peers it is
   * shared with, and whatever the user added that was never a peer (kept).
   */
  async #folderDevices(state: BridgeState, folderId: string, existing: StFolder | undefined, previous: PeerList | null): Promise<string[]> {
    const myId = await this.deviceId();
    const list = state.lastPeers;
    const chosen = state.folders[folderId]?.peers ?? null;
    const peers = (list?.peers ?? []).filter((p) => p.syncthingDeviceId && p.syncthingDeviceId !== myId && (!chosen || chosen.includes(p.deviceId)));
    const known = new Set([...(list?.peers ?? []), ...(previous?.peers ?? [])].map((p) => p.syncthingDeviceId).filter((id): id is string => id !== null));
    for (const id of Object.keys(state.devices)) known.add(id);
    const foreign = (existing?.devices ?? []).map((d) => d.deviceID).filter((id) => id !== myId && !known.has(id));
    return [myId, ...new Set([...peers.map((p) => p.syncthingDeviceId!), ...foreign])];
  }

  /** Returns whether anything changed. */
  async #patchFolder(folder: StFolder, deviceIds: readonly string[], label?: string): Promise<boolean> {
    const before = folder.devices.map((d) => d.deviceID).sort().join(',');
    const after = [...deviceIds].sort().join(',');
    const patch: Record<string, unknown> = {};
    if (before !== after) {
      // Entries we keep keep their fields (an encryption password, who introduced them).
      const old = new Map(folder.devices.map((d) => [d.deviceID, d]));
      patch.devices = deviceIds.map((deviceID) => old.get(deviceID) ?? { deviceID });
    }
    if (label !== undefined && label !== folder.label) patch.label = label;
    if (Object.keys(patch).length === 0) return false;
    await this.api.request('PATCH', `/rest/config/folders/${encodeURIComponent(folder.id)}`, patch);
    return true;
  }

  async #ownedFolders(state: BridgeState): Promise<StFolder[]> {
    const folders = await this.api.get<StFolder[]>('/rest/config/folders');
    return folders.filter((f) => state.folders[f.id]);
  }

  async #folder(folderId: string): Promise<StFolder | undefined> {
    const folders = await this.api.get<StFolder[]>('/rest/config/folders');
    return folders.find((f) => f.id === folderId);
  }

  // --- state ------------------------------------------------------------------

  async #readState(): Promise<BridgeState> {
    const text = await readTextIfExists(this.#stateFile);
    if (!text) return { version: 1, devices: {}, folders: {}, lastPeers: null };
    const parsed = JSON.parse(text) as BridgeState;
    if (parsed.version !== 1) throw new VidsyncError('validation_failed', `${this.#stateFile}: unknown state version ${String(parsed.version)}`);
    return parsed;
  }

  async #writeState(state: BridgeState): Promise<void> {
    await ensureDir(dirname(this.#stateFile));
    await writeFileAtomic(this.#stateFile, `${JSON.stringify(state, null, 2)}\n`, 0o600);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/** The options the bridge sets (see the top of this file for why). */
export function privateOverlayOptions(ip: string, subnet: string, port = SYNCTHING_SYNC_PORT): Record<string, unknown> {
  return {
    listenAddresses: [`tcp://${ip}:${port}`],
    globalAnnounceEnabled: false,
    localAnnounceEnabled: false,
    relaysEnabled: false,
    natEnabled: false,
    announceLANAddresses: false,
    urAccepted: -1,
    crashReportingEnabled: false,
    alwaysLocalNets: [subnet],
    reconnectionIntervalS: 5,
  };
}

/**
 * Whether we dial the peer, or wait for it to dial us. The bridge passes
 * overlay IPs: the lower one, by number, dials. Anything else (e.g. the
 * Syncthing device IDs a hand-built config orders by) compares as text.
 * Either way exactly one side of a pair dials.
 */
export function dialsPeer(mine: string, peer: string): boolean {
  return isIPv4(mine) && isIPv4(peer) ? ipv4ToInt(mine) < ipv4ToInt(peer) : mine < peer;
}

/** The device entries the peers of `list` need, without ourselves or peers that have no Syncthing ID. */
export function peerDevices(list: PeerList, myId: string, port = SYNCTHING_SYNC_PORT): StDevice[] {
  const seen = new Set<string>();
  const out: StDevice[] = [];
  for (const peer of list.peers) {
    const id = peer.syncthingDeviceId;
    if (!id || id === myId || seen.has(id)) continue;
    seen.add(id);
    out.push({
      deviceID: id,
      name: peer.name,
      addresses: [dialsPeer(list.ip, peer.ip) ? `tcp://${peer.ip}:${port}` : 'dynamic'],
      allowedNetworks: [list.subnet],
      autoAcceptFolders: false,
      introducer: false,
    });
  }
  return out;
}

/** What the cloud sent goes into Syncthing's config: check it first. */
function checkPeerList(list: PeerList): void {
  if (!isIPv4(list.ip)) throw new VidsyncError('validation_failed', `not an overlay IP: ${list.ip}`);
  parseCidr(list.subnet);
  for (const peer of list.peers) {
    if (!isIPv4(peer.ip)) throw new VidsyncError('validation_failed', `peer ${peer.deviceId}: not an overlay IP: ${peer.ip}`);
    if (peer.syncthingDeviceId !== null && !isSyncthingDeviceId(peer.syncthingDeviceId)) {
      throw new VidsyncError('validation_failed', `peer ${peer.deviceId}: not a Syncthing device ID: ${peer.syncthingDeviceId}`);
    }
  }
}
