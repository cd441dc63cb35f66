// A shared folder's sync state as a device reports it in its heartbeat
// (POST /heartbeat `folders`): Syncthing's own folder states (1.19,
// lib/model/folderstate.go: idle, scanning, scan-waiting, sync-waiting,
// sync-preparing, syncing, cleaning, clean-waiting, error), `paused`, and
// `unknown` for whatever a later Syncthing adds. The database holds the same
// list (vidsync.sync_folder_states); tests/db/limits.test.ts compares them.
export const SYNC_FOLDER_STATES = [
  'idle',
  'scanning',
  'scan-waiting',
  'sync-waiting',
  'sync-preparing',
  'syncing',
  'cleaning',
  'clean-waiting',
  'error',
  'paused',
  'unknown',
] as const;
export type SyncFolderState = (typeof SYNC_FOLDER_STATES)[number];

/** Syncthing's word for a folder's state, or `unknown`. */
export function syncFolderState(state: string): SyncFolderState {
  return (SYNC_FOLDER_STATES as readonly string[]).includes(state) ? (state as SyncFolderState) : 'unknown';
}
