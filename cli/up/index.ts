// `vidsync up -project ID [-name …] [-dir …] [-nebula PATH]`: the device
// agent in the foreground. Registers on first run (with the user's session),
// resumes afterwards (with the user's session, or headless with the device's
// own API key), runs nebula, renews, polls the config, heartbeats; stops
// cleanly on SIGTERM/SIGINT, and exits 3 when the server revoked the device.
import { NebulaAgent, NebulaClient } from '../../client/src/index.ts';
import type { CliIo } from '../io.ts';
import { CliError, pathIn } from '../io.ts';
import { type ModeDefinition, required, runMode } from '../cert/common.ts';
import { localStackTools, supabaseFor } from '../session.ts';
import type { ParsedFlags } from '../flags.ts';
import { defaultBaseDir } from '../../client/src/index.ts';
import { join } from 'node:path';

/** Exit code when the server revoked the device: a supervisor should not restart it. */
export const EXIT_REVOKED = 3;

const up: ModeDefinition = {
  program: 'vidsync',
  name: 'up',
  summary: 'up <flags>: keep this machine on a project\'s overlay (register or resume, run nebula, renew, poll, heartbeat)',
  flags: {
    project: { kind: 'string', usage: 'Required: the project id' },
    name: { kind: 'string', usage: 'Optional: this device\'s name (required on the first run)' },
    dir: { kind: 'string', usage: 'Optional: the project directory (default ~/.vidsync/nebula/<project>)' },
    nebula: { kind: 'string', usage: 'Optional: the nebula binary (default: nebula on PATH)' },
    headless: { kind: 'bool', usage: 'Optional: after registering, authenticate with the device\'s own API key only' },
    url: { kind: 'string', usage: 'Optional: the Supabase project URL (env SUPABASE_URL; default: the running local stack)' },
    'anon-key': { kind: 'string', usage: 'Optional: the project\'s anon/publishable key (env SUPABASE_ANON_KEY)' },
    token: { kind: 'string', usage: 'Optional: the user\'s access token (env VIDSYNC_ACCESS_TOKEN); without it, the device\'s API key' },
    email: { kind: 'string', usage: 'Optional: on the local stack, act as this user', default: 'alice@example.com' },
  },
  async action(flags, io) {
    const projectId = required(flags, 'project');
    const dir = flags.strings.dir ? pathIn(io, flags.strings.dir) : join(defaultBaseDir(), projectId);
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
    });
    const onSignal = () => void agent.stop();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      await agent.start();
      const phase = await agent.done;
      if (phase === 'revoked') {
        process.exitCode = EXIT_REVOKED;
        throw new CliError('the device was revoked; not retrying');
      }
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  },
};

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
