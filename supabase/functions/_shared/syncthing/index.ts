// Syncthing, as far as the cloud and the SDK need to know it: the format of
// its device IDs (device-id.ts) and its folder states (folder-state.ts).
// Named exports only.
export { isSyncthingDeviceId, luhn32, SYNCTHING_DEVICE_ID_CHARS, syncthingDeviceIdFromSha256 } from './device-id.ts';
export { SYNC_FOLDER_STATES, syncFolderState } from './folder-state.ts';
export type { SyncFolderState } from './folder-state.ts';
