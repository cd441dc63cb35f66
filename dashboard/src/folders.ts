// A device's Syncthing folders as its agent reports them, when the project's
// device rows carry them (`folders`); older servers send none, and then the
// page shows nothing rather than guessing.
import type { DeviceOverview } from '../../client/src/browser.ts';

export interface FolderState {
  readonly folderId: string;
  readonly label: string | null;
  /** Syncthing's folder state: idle, scanning, syncing, error, … */
  readonly state: string;
  /** 0–100. */
  readonly completion: number | null;
  readonly errors: number | null;
}

export function foldersOf(d: DeviceOverview): readonly FolderState[] | null {
  const folders = (d as { folders?: unknown }).folders;
  return Array.isArray(folders) ? (folders as FolderState[]) : null;
}

export type FolderHealth = 'in sync' | 'syncing' | 'error';

export function folderHealth(f: FolderState): FolderHealth {
  if ((f.errors ?? 0) > 0 || f.state === 'error') return 'error';
  if (f.state === 'idle' && (f.completion === null || f.completion >= 100)) return 'in sync';
  return 'syncing';
}

/** "Holiday: in sync", "Raw footage: syncing 45 %", "Edits: error (3)". */
export function folderText(f: FolderState): string {
  const name = f.label || f.folderId;
  const health = folderHealth(f);
  if (health === 'error') return `${name}: error${f.errors ? ` (${f.errors})` : ''}`;
  if (health === 'syncing') return `${name}: syncing${f.completion === null ? '' : ` ${Math.floor(f.completion)} %`}`;
  return `${name}: in sync`;
}
