// The local functions server never outlives whoever started it: a test run or
// `npm run dev` killed with SIGKILL must not leave a Deno process behind.
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { isProcessAlive } from '../../client/src/index.ts';
import { startLocalFunctions } from '../../scripts/local-functions/start.ts';

const STARTER = `
import { startLocalFunctions } from './scripts/local-functions/start.ts';
const f = await startLocalFunctions({ dbUrl: process.env.DB_URL, port: 0, stateDir: process.env.STATE_DIR });
console.log(JSON.stringify({ pid: f.pid }));
setInterval(() => {}, 1000);
`;

describe('local functions server', () => {
  it('stops when its parent is killed with SIGKILL', async () => {
    const repo = fileURLToPath(new URL('../..', import.meta.url));
    // Its dev secrets (a key) go to a temp directory, removed afterwards, never into the checkout.
    const stateDir = await mkdtemp(join(tmpdir(), 'vidsync-orphan-'));
    onTestFinished(() => rm(stateDir, { recursive: true, force: true }));
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', STARTER], {
      cwd: repo,
      env: { ...process.env, DB_URL: inject('dbUrl'), STATE_DIR: stateDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const denoPid = await new Promise<number>((resolve, reject) => {
      parent.once('exit', (code) => reject(new Error(`starter exited with ${code}`)));
      createInterface({ input: parent.stdout! }).on('line', (line) => {
        if (line.startsWith('{')) resolve((JSON.parse(line) as { pid: number }).pid);
      });
    });
    expect(isProcessAlive(denoPid)).toBe(true);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (isProcessAlive(denoPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(isProcessAlive(denoPid)).toBe(false);
  });

  it('on a port something else holds, says so and how to move the stack', async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    onTestFinished(() => new Promise<void>((resolve) => holder.close(() => resolve())));
    const port = (holder.address() as { port: number }).port;
    const stateDir = await mkdtemp(join(tmpdir(), 'vidsync-port-'));
    onTestFinished(() => rm(stateDir, { recursive: true, force: true }));
    await expect(startLocalFunctions({ dbUrl: inject('dbUrl'), port, stateDir })).rejects.toThrow(
      `port ${port} is taken (another npm run dev of this checkout, or supabase start?): stop that; if another program needs the port, move this stack with VIDSYNC_PORT_BASE=<port>`,
    );
  });
});
