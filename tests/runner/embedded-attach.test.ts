// npm run dev attaches to a Postgres already running on its port only when
// that server runs on its own data directory (a stack left running, a crashed
// run). Any other Postgres there (supabase start's answers to the same
// postgres/postgres login) was attached to and migrated before.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../scripts/local-stack/embedded.ts';
import { freePort } from '../../scripts/local-stack/free-port.ts';

// Directly under the temp dir: as root the server runs as the postgres OS user, who must reach it.
const dataDir = (name: string) => join(tmpdir(), `vidsync-attach-${name}-${process.pid}-${randomBytes(4).toString('hex')}`);

it('attaches to a server on its own data directory, and refuses one on another', async () => {
  const [ours, theirs] = [dataDir('ours'), dataDir('theirs')];
  const port = await freePort();
  const options = { port, fsync: false, persistent: false, log: () => {} };
  const running = await startEmbeddedPostgres({ ...options, dataDir: ours });
  try {
    expect((await startEmbeddedPostgres({ ...options, dataDir: ours })).started).toBe(false);
    await expect(startEmbeddedPostgres({ ...options, dataDir: theirs })).rejects.toThrow(`port ${port} is held by another Postgres`);
  } finally {
    await running.stop();
    await Promise.all([ours, theirs].map((dir) => rm(dir, { recursive: true, force: true })));
  }
});
