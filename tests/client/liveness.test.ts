// isProcessAlive: the one answer `vidsync status`, the local stack and the
// e2e harness give to "does this pid still run".
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../client/src/index.ts';

describe('isProcessAlive', () => {
  it('a running process is alive; once it has exited and been reaped, it is not', async () => {
    const child = spawn('sleep', ['30']);
    expect(isProcessAlive(child.pid!)).toBe(true);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(isProcessAlive(child.pid!)).toBe(false);
  });

  it('0 and negative pids (process groups to kill()) are no process', () => {
    for (const pid of [0, -1, -process.pid, 1.5, Number.NaN]) expect(isProcessAlive(pid), String(pid)).toBe(false);
  });

  it('a zombie (exited, its parent never reaps it) is not alive, though signal 0 still reaches it', async () => {
    // sh starts `true` in the background and then becomes `sleep`, which never
    // reaps it: `true` stays a zombie while sleep runs.
    const parent = spawn('sh', ['-c', 'true & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(createInterface({ input: parent.stdout! }), 'line')) as [string];
      const zombie = Number(line);
      await expect.poll(() => isZombie(zombie)).toBe(true);
      expect(() => process.kill(zombie, 0)).not.toThrow();
      expect(isProcessAlive(zombie)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

async function isZombie(pid: number): Promise<boolean> {
  const { readFile } = await import('node:fs/promises');
  return / Z /.test(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''));
}
