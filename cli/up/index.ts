// `vidsync up -project ID [-name …] [-dir …] [-nebula PATH]`: the device
// agent in the foreground. Registers on first run (with the user's session),
// resumes afterwards (with the user's session, or headless with the device's
// own API key), runs nebula, renews, polls the config, heartbeats; stops
// cleanly on SIGTERM/SIGINT, and exits 3 when the server revoked the device.
// With -syncthing-home or -syncthing-api it also keeps that Syncthing in step
// with the project's peers and shares -share <path> as -folder-id; without
// them it does nothing Syncthing-related.
import { NebulaAgent, NebulaClient } from '../../client/src/index.ts';
import type { CliIo } from '../io.ts';
import { CliError, pathIn } from '../io.ts';
import { type ModeDefinition, runMode } from '../cert/common.ts';
import { localStackTools, SESSION_FLAGS, supabaseFor } from '../session.ts';
import type { ParsedFlags } from '../flags.ts';
import { agentProject, PROJECT_DIR_FLAGS } from '../agent-dir.ts';
import { EXIT_REVOKED } from '../exit-codes.ts';
import type { AgentSyncthingOptions } from '../../client/src/index.ts';
import { join } from 'node:path';

/** Exit code when the server revoked the device: a supervisor should not restart it. */
const up: ModeDefinition = {
  program: 'vidsync',
  name: 'up',
  summary: 'up <flags>: keep this machine on a project\'s overlay (register or resume, run nebula, renew, poll, heartbeat)',
  flags: {
    ...PROJECT_DIR_FLAGS,
    name: { kind: 'string', usage: 'Optional: this device\'s name (required on the first run)' },
    nebula: { kind: 'string', usage: 'Optional: the nebula binary (default: nebula on PATH)' },
    headless: { kind: 'bool', usage: 'Optional: after registering, authenticate with the device\'s own API key only' },
    ...SESSION_FLAGS,
    // Unlike `device`, `up` runs without a user: then the device signs with its own API key.
    token: { kind: 'string', usage: 'Optional: the user\'s access token (env VIDSYNC_ACCESS_TOKEN); without it, the device\'s API key' },
    'syncthing-home': { kind: 'string', usage: 'Optional: drive the Syncthing whose home (config.xml: API key, GUI address) is here' },
    'syncthing-api': { kind: 'string', usage: 'Optional: drive the Syncthing whose REST API is here (http://127.0.0.1:8384 or unix:///path/gui.sock)' },
    'syncthing-api-key': { kind: 'string', usage: 'Optional: its API key (env SYNCTHING_API_KEY; default: from -syncthing-home)' },
    share: { kind: 'string', usage: 'Optional: share this folder with every device of the project (needs -syncthing-home or -syncthing-api)' },
    'folder-id': { kind: 'string', usage: 'Optional: the shared folder\'s id, the same on every device (default vidsync-<project>)' },
    'folder-label': { kind: 'string', usage: 'Optional: the shared folder\'s label (default: the folder id)' },
    'peers-poll': { kind: 'duration', usage: 'Optional: how often to ask the cloud for the project\'s peers (default 5s)' },
  },
  async action(flags, io) {
    const { projectId, dir } = agentProject(flags, io);
    const session = await sessionOf(flags);
    const client = session.token ? new NebulaClient({ supabase: supabaseFor(session.url, session.anonKey ?? '', session.token), baseDir: join(dir, '..') }) : undefined;
    const agent = new NebulaAgent({
      projectId,
      dir,
      functionsUrl: `${session.url.replace(/\/+$/, '')}/functions/v1`,
      client,
      deviceName: flags.strings.name || undefined,
      accessToken: flags.bools.headless || !session.token ? undefined : async () => session.token!,
      nebulaPath: flags.strings.nebula || undefined,
      // A command that execs nebula in place, e.g. `ip netns exec <ns>` (tests run devices in namespaces).
      nebulaWrapper: process.env.VIDSYNC_NEBULA_WRAPPER?.split(' ').filter(Boolean),
      log: (line) => io.stdout.write(`${new Date().toISOString()} ${line}\n`),
      syncthing: syncthingOf(flags, io, projectId),
    });
    const onSignal = () => void agent.stop();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      await agent.start();
      const phase = await agent.done;
      if (phase === 'revoked') throw new CliError('the device was revoked; not retrying', EXIT_REVOKED);
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  },
};

/** The agent's Syncthing options from the flags, or undefined: nothing Syncthing-related is started without them. */
function syncthingOf(flags: ParsedFlags, io: CliIo, projectId: string): AgentSyncthingOptions | undefined {
  const home = flags.strings['syncthing-home'] ? pathIn(io, flags.strings['syncthing-home']) : undefined;
  const url = flags.strings['syncthing-api'] || undefined;
  const share = flags.strings.share ? pathIn(io, flags.strings.share) : undefined;
  if (!home && !url) {
    if (share || flags.strings['folder-id']) throw new CliError('-share needs a Syncthing: give -syncthing-home or -syncthing-api');
    return undefined;
  }
  const folderId = flags.strings['folder-id'] || `vidsync-${projectId}`;
  return {
    home,
    url,
    apiKey: flags.strings['syncthing-api-key'] || process.env.SYNCTHING_API_KEY || undefined,
    share: share ? [{ folderId, path: share, label: flags.strings['folder-label'] || undefined }] : [],
    peersPollSeconds: flags.durations['peers-poll'] || undefined,
  };
}

async function sessionOf(flags: ParsedFlags): Promise<{ url: string; anonKey?: string; token?: string }> {
  const url = flags.strings.url || process.env.SUPABASE_URL;
  const anonKey = flags.strings['anon-key'] || process.env.SUPABASE_ANON_KEY;
  const token = flags.strings.token || process.env.VIDSYNC_ACCESS_TOKEN;
  if (url) {
    if (token && !anonKey) throw new CliError('with -token, give -anon-key too (or SUPABASE_ANON_KEY)');
    return { url, anonKey, token };
  }
  const local = await localStackTools();
  const stack = await local.runningStack();
  const user = await local.mintLocalToken(flags.strings.email || 'alice@example.com');
  return { url: stack.supabaseUrl, anonKey: stack.anonKey, token: user.accessToken };
}

export const run = (args: string[], io: CliIo): Promise<number> => runMode(up, args, io);
