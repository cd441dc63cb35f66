// @vidsync/nebula-client: join a VidSync project's Nebula overlay from a
// desktop app (Node >= 20, Electron main). Named exports only. Everything of
// the browser-safe entry (projects, people, devices, CAs, the errors), and
// what needs Node: this device's files and keys, the agent, Syncthing.
export * from './browser.ts';
export { NebulaClient } from './client.ts';
export type { DeviceStatus, HeartbeatInfo, NebulaClientOptions, Registration, RegisterOptions, RegisterResponse } from './client.ts';
export { AGENT_STATE_FILE, AGENT_VERSION, API_KEY_FILE, DEFAULT_CONFIG_POLL_SECONDS, NebulaAgent, readAgentState } from './agent/agent.ts';
export type { AgentPhase, AgentState, NebulaAgentOptions } from './agent/agent.ts';
export { nebulaVersion } from './agent/nebula-process.ts';
export { isProcessAlive } from './agent/liveness.ts';
export { DEFAULT_FOLDER_POLL_SECONDS, DEFAULT_PEERS_POLL_SECONDS, SYNCTHING_BRIDGE_STATE_FILE } from './agent/syncthing-sync.ts';
export type { AgentSyncthingOptions, SyncthingAgentState } from './agent/syncthing-sync.ts';
export type { Peer, PeerList, PeersAnswer } from './syncthing/peers.ts';
export { dialsPeer, privateOverlayOptions, SYNCTHING_SYNC_PORT, SyncthingBridge } from './syncthing/bridge.ts';
export type { FolderStatus, PeerChanges, ShareOptions, SyncthingBridgeOptions } from './syncthing/bridge.ts';
export type { SyncthingApiOptions } from './syncthing/rest.ts';
export { BUNDLE_FILES, defaultBaseDir } from './files.ts';
