// Where a device keeps what it needs to join one project, and how it writes
// it: each file atomically (temp file + rename), the private key with mode
// 0600, so a crash never leaves a half-written certificate or a readable key.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { BUNDLE_FILES as SHARED_BUNDLE_FILES, PRIVATE_KEY_FILE } from '../../supabase/functions/_shared/bundle/index.ts';

/** The files of one project's directory, `~/.vidsync/nebula/<projectId>/`. */
export const BUNDLE_FILES = {
  ...SHARED_BUNDLE_FILES,
  privateKey: PRIVATE_KEY_FILE,
  publicKey: 'host.pub',
  device: 'device.json',
} as const;

export function defaultBaseDir(): string {
  return join(homedir(), '.vidsync', 'nebula');
}

export function projectDir(baseDir: string, projectId: string): string {
  return join(baseDir, projectId);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, data, { mode });
  // writeFile's mode is masked by the umask; the key must be 0600 whatever it is.
  await chmod(tmp, mode);
  await rename(tmp, path);
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
