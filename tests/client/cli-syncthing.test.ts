// The CLI's Syncthing parts, in-process and offline: `vidsync up` refuses
// -share without a Syncthing (and starts nothing Syncthing-related without
// one), and `vidsync status` prints the agent's Syncthing state, a line per
// shared folder.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { folderLine } from '../../cli/status/index.ts';
import { AGENT_STATE_FILE, type AgentState } from '../../client/src/index.ts';

const dir = useTempDir('vidsync-cli-st');

const cli = (...args: string[]) => runCli(dir.path, args);

describe('vidsync up and Syncthing', () => {
  it('refuses -share or -folder-id without -syncthing-home or -syncthing-api, before doing anything', async () => {
    const offline = ['-url', 'http://127.0.0.1:9', '-anon-key', 'k', '-token', 't', '-dir', join(dir.path, 'p')];
    for (const extra of [['-share', 'videos'], ['-folder-id', 'videos']]) {
      const r = await cli('up', '-project', 'p', ...offline, ...extra);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('Error: -share needs a Syncthing: give -syncthing-home or -syncthing-api\n');
    }
  });

  it('lists the Syncthing flags in its help', async () => {
    const r = await cli('up', '-h');
    for (const flag of ['-syncthing-home', '-syncthing-api', '-syncthing-api-key', '-share', '-folder-id', '-folder-label', '-peers-poll']) {
      expect(r.stdout + r.stderr).toContain(flag);
    }
  });
});

describe('vidsync status and Syncthing', () => {
  it('words each folder: in sync, syncing with % and what is left, errors', () => {
    expect(folderLine({ folderId: 'v', state: 'idle', completion: 100, errors: 0 })).toBe('in sync');
    expect(folderLine({ folderId: 'v', label: 'Videos', state: 'syncing', completion: 42.5, errors: 0, needBytes: 1_234_567 })).toBe('Videos: syncing 42.5% (1.2 MB to go)');
    expect(folderLine({ folderId: 'v', state: 'error', completion: 90, errors: 2, error: 'disk full' })).toBe('error 90%, 2 errors (disk full)');
    expect(folderLine({ folderId: 'v', state: 'idle', completion: 100, errors: 1 })).toBe('in sync, 1 error');
  });

  it('prints the agent\'s Syncthing state from agent.json', async () => {
    const state: AgentState = {
      phase: 'running',
      pid: process.pid,
      projectId: 'p',
      ip: '10.1.0.2',
      syncthing: {
        deviceId: 'ABCDEFG-HIJKLMN-OPQRSTU-VWXYZ23-4567ABC-DEFGHIJ-KLMNOPQ-RSTUVWX',
        peers: 2,
        configuredAt: '2026-11-30T10:00:00.000Z',
        folders: [{ folderId: 'vidsync-p', label: 'Videos', state: 'syncing', completion: 10, errors: 0, needBytes: 5_000_000 }],
      },
    };
    const status = async (s: AgentState) => {
      await writeFile(join(dir.path, AGENT_STATE_FILE), JSON.stringify(s));
      return cli('status', '-project', 'p', '-dir', dir.path);
    };
    const r = await status(state);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('syncthing:        ABCDEFG… (2 peers)\n');
    expect(r.stdout).toContain('folder vidsync-p: Videos: syncing 10% (5.0 MB to go)\n');

    // With no peer, an idle folder is in sync with no one.
    const alone = await status({ ...state, syncthing: { ...state.syncthing!, peers: 0, folders: [{ folderId: 'vidsync-p', label: 'Videos', state: 'idle', completion: 100, errors: 0 }] } });
    expect(alone.stdout).toContain('folder vidsync-p: Videos: no peer to sync with yet\n');
    expect(alone.stdout).not.toContain('in sync');

    // A stopped agent: exit 3, and no folder state it no longer knows.
    const stopped = await status({ ...state, phase: 'stopped' });
    expect(stopped.code).toBe(3);
    expect(stopped.stdout).toContain('syncthing:        ABCDEFG…\n');
    expect(stopped.stdout).not.toContain('folder vidsync-p');
  });
});
