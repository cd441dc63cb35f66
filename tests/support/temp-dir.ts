// A temporary directory per suite, for what a test writes to disk (SDK
// device directories, CLI working directories).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * A temporary directory for one suite: made in beforeAll, removed with
 * everything in it in afterAll. Read `path` inside hooks and tests.
 */
export function useTempDir(prefix: string): { readonly path: string } {
  let path: string | undefined;
  beforeAll(async () => {
    path = await mkdtemp(join(tmpdir(), `${prefix}-`));
  });
  afterAll(async () => {
    if (path) await rm(path, { recursive: true, force: true });
  });
  return {
    get path() {
      if (!path) throw new Error('useTempDir(): the directory is made in beforeAll; use it inside hooks and tests');
      return path;
    },
  };
}
