// `.local/stack.json`: how other tools (CLI, e2e scripts) find the running
// local stack. Each starter merges its own keys (`dbUrl` here; later the
// functions server adds `supabaseUrl`, `functionsUrl`, `anonKey`, `users`,
// the dashboard `dashboardUrl`).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { localDir } from './paths.ts';

export interface StackInfo {
  dbUrl?: string;
  /** Where `npm run dev` serves the dashboard. */
  dashboardUrl?: string;
  [key: string]: unknown;
}

export const stackInfoPath = path.join(localDir, 'stack.json');

export async function readStackInfo(file = stackInfoPath): Promise<StackInfo> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as StackInfo;
  } catch {
    return {};
  }
}

/** Merges `partial` into the file (creating it; with `replace`, instead of what it held) and returns the result. */
export async function writeStackInfo(partial: StackInfo, file = stackInfoPath, options: { replace?: boolean } = {}): Promise<StackInfo> {
  const merged = options.replace ? { ...partial } : { ...(await readStackInfo(file)), ...partial };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}

export async function removeStackInfo(file = stackInfoPath): Promise<void> {
  await rm(file, { force: true });
}
