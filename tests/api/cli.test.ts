// The CLI's project and device commands against the function under Deno,
// run in-process with injected I/O, as a user of a hosted project would run
// them (-url, -anon-key, -token).
import { beforeAll, describe, expect, it } from 'vitest';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { useApi } from '../support/api.ts';
import { runCli } from '../support/cli.ts';
import { useTempDir } from '../support/temp-dir.ts';

const api = useApi();
const work = useTempDir('vidsync-cli');
let session: string[];

beforeAll(async () => {
  const user = await api.user('cli');
  session = ['-url', api.functions.supabaseUrl, '-anon-key', api.functions.anonKey, '-token', user.accessToken];
});

const cli = (...args: string[]) => runCli(work.path, args);

describe('vidsync project / device', () => {
  it('creates a project, registers this machine, shows its status and releases it', async () => {
    const created = await cli('project', 'create', '-name', 'cli project', ...session);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const [projectId, subnet] = created.stdout.trim().split(' ');
    expect(subnet).toMatch(/\/24$/);

    const registered = await cli('device', 'register', '-project', projectId!, '-name', 'cli laptop', '-dir', 'laptop', '-json', ...session);
    expect(registered.stderr).toBe('');
    expect(registered.code).toBe(0);
    const reg = JSON.parse(registered.stdout) as { ip: string; dir: string; paths: { privateKey: string; config: string } };
    expect(reg.dir).toBe(join(work.path, 'laptop'));
    expect((await stat(reg.paths.privateKey)).mode & 0o777).toBe(0o600);
    expect(await readFile(reg.paths.config, 'utf8')).toContain(reg.paths.privateKey);

    const status = await cli('device', 'status', '-dir', 'laptop', ...session);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ ip: reg.ip, name: 'cli laptop' });

    const released = await cli('device', 'release', '-dir', 'laptop', '-reason', 'test', ...session);
    expect(released).toMatchObject({ code: 0, stderr: '' });
    expect(released.stdout).toContain(`released ${reg.ip}`);
  });

  it('prints the server\'s message as one error line and exits non-zero', async () => {
    const created = await cli('project', 'create', '-name', 'cli errors', ...session);
    const projectId = created.stdout.split(' ')[0]!;
    const bad = await cli('device', 'register', '-project', projectId, '-name', 'x', '-dir', 'bad', '-lighthouse', 'not-an-endpoint', ...session);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error: .*must be host:port.*\n$/);
  });

  it('asks for all three of -url, -anon-key and -token for a hosted project', async () => {
    const result = await cli('project', 'create', '-name', 'x', '-url', api.functions.supabaseUrl);
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'Error: a hosted project needs -url, -anon-key and -token (or SUPABASE_URL, SUPABASE_ANON_KEY, VIDSYNC_ACCESS_TOKEN)\n' });
  });

  it('lists its modes on -h', async () => {
    const help = await cli('device', '-h');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('register <flags>');
    expect(help.stdout).toContain('release <flags>');
  });
});
