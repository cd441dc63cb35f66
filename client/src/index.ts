// @vidsync/nebula-client: join a VidSync project's Nebula overlay from a
// desktop app (Node >= 20, Electron main). Named exports only.
export { NebulaClient } from './client.ts';
export type { DeviceStatus, HeartbeatInfo, NebulaClientOptions, Registration, RegisterOptions, RegisterResponse } from './client.ts';
export { AGENT_STATE_FILE, AGENT_VERSION, API_KEY_FILE, DEFAULT_CONFIG_POLL_SECONDS, NebulaAgent, readAgentState } from './agent/agent.ts';
export type { AgentPhase, AgentState, NebulaAgentOptions } from './agent/agent.ts';
export { nebulaVersion } from './agent/nebula-process.ts';
export { isProcessAlive } from './agent/liveness.ts';
export { DEFAULT_FOLDER_POLL_SECONDS, DEFAULT_PEERS_POLL_SECONDS, SYNCTHING_BRIDGE_STATE_FILE } from './agent/syncthing-sync.ts';
export type { AgentSyncthingOptions, SyncthingAgentState } from './agent/syncthing-sync.ts';
export type { SyncFolderState } from './projects-read.ts';
export { createProject } from './projects.ts';
export { listAudit, pinDeviceAddress, releaseDevice, revokeDevice } from './devices-admin.ts';
export type { AuditEntry, AuditPage, AuditQuery, PinnedAddress, ReleasedDevice, RevokedDevice } from './devices-admin.ts';
export { createDeviceInvite, createInvite, deleteProject, joinProject, listInvites, listMembers, removeMember, revokeInvite, setMemberRole, transferOwnership } from './people.ts';
export type { CreatedInvite, DeletedProject, Invite, InviteOptions, InviteRole, JoinedProject, Member, MemberRole, RemovedMember, RoleChange } from './people.ts';
export { retireCa, rotateCa } from './ca-admin.ts';
export type { RetiredCa, RotateCaOptions, RotatedCa, TrustedCa } from './ca-admin.ts';
export type { Peer, PeerList, PeersAnswer } from './syncthing/peers.ts';
export { dialsPeer, privateOverlayOptions, SYNCTHING_SYNC_PORT, SyncthingBridge } from './syncthing/bridge.ts';
export type { FolderStatus, PeerChanges, ShareOptions, SyncthingBridgeOptions } from './syncthing/bridge.ts';
export type { SyncthingApiOptions } from './syncthing/rest.ts';
export type { CreateProjectOptions, Project } from './projects.ts';
export { BUNDLE_FILES, defaultBaseDir } from './files.ts';
export { VidsyncError, isVidsyncError } from '../../supabase/functions/_shared/errors.ts';
export type { ErrorCode } from '../../supabase/functions/_shared/errors.ts';
