// A device's Syncthing folders as its agent last reported them in its
// heartbeat (`folders` of the project's device rows), read as words: in
// sync, syncing n %, error. Pure functions, so the table and the picture say
// the same.
import type { DeviceOverview, SyncFolderState } from '../../client/src/browser.ts';

/** The device's folders; none before its agent's first report (or from a server that predates them). */
export function foldersOf(d: DeviceOverview): readonly SyncFolderState[] {
  return Array.isArray(d.folders) ? d.folders : [];
}

export type FolderHealth = 'in sync' | 'syncing' | 'error';

export function folderHealth(f: SyncFolderState): FolderHealth {
  if (f.errors > 0 || f.state === 'error') return 'error';
  if (f.state === 'idle' && f.completion >= 100) return 'in sync';
  return 'syncing';
}

/** "Holiday: in sync", "Raw footage: syncing 45 %", "Edits: error (3)". */
export function folderText(f: SyncFolderState): string {
  const name = f.label || f.folderId;
  switch (folderHealth(f)) {
    case 'error':
      return `${name}: error${f.errors > 0 ? ` (${f.errors})` : ''}${f.error ? ` — ${f.error}` : ''}`;
    case 'syncing':
      return `${name}: ${f.state === 'idle' ? 'syncing' : f.state} ${Math.floor(f.completion)} %`;
    case 'in sync':
      return `${name}: in sync`;
  }
}
