// Parts of the device agent that need no server: the nebula version check
// (a clear refusal for a missing or too old binary) and `vidsync status`,
// which reads what the agent last recorded.
import { describe, expect, it, vi } from 'vitest';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../support/cli.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { AGENT_STATE_FILE, nebulaVersion } from '../../client/src/index.ts';
import type { AgentState } from '../../client/src/index.ts';
import { binary, missing } from '../../scripts/e2e/requirements.ts';

const dir = useTempDir('vidsync-agent-parts');

async function fakeNebula(version: string): Promise<string> {
  const path = join(dir.path, `nebula-${version}`);
  await writeFile(path, `#!/bin/sh\necho "Version: ${version}"\n`);
  await chmod(path, 0o755);
  return path;
}

const cli = (args: string[]) => runCli(dir.path, args);

describe('nebulaVersion', () => {
  it('reads the version and refuses one older than 1.6.0 or a missing binary, with a clear message', async () => {
    expect(await nebulaVersion(await fakeNebula('1.9.2'))).toEqual([1, 9, 2]);
    await expect(nebulaVersion(await fakeNebula('1.5.2'))).rejects.toThrow(/nebula 1\.5\.2 is too old; need 1\.6\.0 or later/);
    await expect(nebulaVersion(join(dir.path, 'no-such-nebula'))).rejects.toThrow(/cannot run .*no-such-nebula \(ENOENT\)/);
  });

  it.skipIf(missing(binary('nebula')))('accepts the installed nebula', async () => {
    expect((await nebulaVersion('nebula'))[0]).toBe(1);
  });
});

describe('vidsync status', () => {
  const projectId = '0191b3c4-1111-7222-8333-944445555666';
  const state: AgentState = {
    phase: 'running',
    pid: process.pid,
    projectId,
    deviceId: '0191b3c4-aaaa-7bbb-8ccc-9ddddeeeefff',
    ip: '10.99.3.7',
    fingerprint: 'ab'.repeat(32),
    notAfter: '2026-12-07T12:00:00.000Z',
    nebulaVersion: '1.6.1',
    nebulaPid: 4242,
    nebulaStarts: 1,
    lighthouses: ['10.99.3.1', '10.99.3.2'],
    lighthousesReachable: ['10.99.3.1'],
    blocklist: 2,
    lastHeartbeatAt: '2026-11-30T12:00:00.000Z',
  };

  it('shows what the running agent recorded', async () => {
    await writeFile(join(dir.path, AGENT_STATE_FILE), JSON.stringify(state));
    const r = await cli(['status', '-project', projectId, '-dir', dir.path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`agent:            running (pid ${process.pid})`);
    expect(r.stdout).toContain('overlay IP:       10.99.3.7');
    expect(r.stdout).toContain('certificate:      abababababababab… until 2026-12-07T12:00:00.000Z');
    expect(r.stdout).toContain('nebula:           1.6.1 (pid 4242, started 1×)');
    expect(r.stdout).toContain('lighthouses:      10.99.3.1 (reachable), 10.99.3.2 (not reached)');
    expect(r.stdout).toContain('last heartbeat:   2026-11-30T12:00:00.000Z');
  });

  it('says when the agent that wrote it is gone, and when none ever ran', async () => {
    await writeFile(join(dir.path, AGENT_STATE_FILE), JSON.stringify({ ...state, pid: 2 ** 22 + 17, nextRenewalAt: '2026-12-06T12:00:00.000Z' }));
    const gone = await cli(['status', '-project', projectId, '-dir', dir.path]);
    // Exit 3, as systemctl status for a unit that does not run; and nothing only a running agent would know.
    expect(gone.code).toBe(3);
    expect(gone.stdout).toContain('agent:            not running (agent gone)');
    expect(gone.stdout).toContain('nebula:           1.6.1\n');
    expect(gone.stdout).toContain('lighthouses:      10.99.3.1, 10.99.3.2\n');
    expect(gone.stdout).not.toContain('next renewal');
    const none = await cli(['status', '-project', projectId, '-dir', join(dir.path, 'empty')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`Error: no agent has run for project ${projectId} in ${join(dir.path, 'empty')} (start one with: vidsync up -project ${projectId})\n`);
  });
});

describe('vidsync up, first run', () => {
  it('names what it lacks to register: the device name, or a signed-in user', async () => {
    const project = '11111111-2222-4333-8444-555555555555';
    // Not a developer's own session from the environment.
    vi.stubEnv('VIDSYNC_ACCESS_TOKEN', '');
    vi.stubEnv('SUPABASE_ANON_KEY', '');
    // A port nothing listens on: the refusal comes before any request.
    const hosted = ['-url', 'http://127.0.0.1:9', '-nebula', await fakeNebula('1.9.2')];
    const noName = await cli(['up', '-project', project, '-dir', join(dir.path, 'first-a'), ...hosted, '-anon-key', 'k', '-token', 't']);
    expect(noName).toMatchObject({ code: 1, stderr: 'Error: this device is not registered yet: its first run needs a device name (-name)\n' });
    const noUser = await cli(['up', '-project', project, '-dir', join(dir.path, 'first-b'), ...hosted, '-name', 'n']);
    expect(noUser).toMatchObject({ code: 1, stderr: 'Error: this device is not registered yet: its first run needs a signed-in user (a token)\n' });
    vi.unstubAllEnvs();
  });
});
