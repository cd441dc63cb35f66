// `vidsync device register|status|release`: the SDK from the shell, as the
// desktop app would call it. Files go to ~/.vidsync/nebula/<project>/ unless
// -dir says otherwise.
import { NebulaClient } from '../../client/src/index.ts';
import type { CliIo } from '../io.ts';
import { type ModeDefinition, list, required } from '../cert/common.ts';
import { runCommand } from '../command.ts';
import { pathIn } from '../io.ts';
import { SESSION_FLAGS, sessionFrom } from '../session.ts';
import type { ParsedFlags } from '../flags.ts';
import { PROJECT_DIR_FLAGS } from '../agent-dir.ts';


const PROGRAM = 'vidsync device';

async function clientFor(flags: ParsedFlags, io: CliIo): Promise<NebulaClient> {
  const supabase = await sessionFrom(flags);
  const dir = flags.strings.dir;
  // -dir names the project's directory; the SDK takes the directory above it.
  return new NebulaClient({ supabase, baseDir: dir ? pathIn(io, `${dir}/..`) : undefined });
}

function projectDirName(flags: ParsedFlags): string {
  return flags.strings.dir ? flags.strings.dir.replace(/\/+$/, '').split('/').pop()! : required(flags, 'project');
}

const register: ModeDefinition = {
  program: PROGRAM,
  name: 'register',
  summary: 'register <flags>: make this machine\'s key, register it, verify and install the bundle',
  flags: {
    ...PROJECT_DIR_FLAGS,
    name: { kind: 'string', usage: 'Required: this device\'s name' },
    lighthouse: { kind: 'string', usage: 'Optional: comma separated public host:port endpoints; registers a lighthouse (project admins)' },
    json: { kind: 'bool', usage: 'Optional: print the result as JSON' },
    ...SESSION_FLAGS,
  },
  async action(flags, io) {
    const projectId = required(flags, 'project');
    const client = await clientFor(flags, io);
    const endpoints = list(flags.strings.lighthouse ?? '');
    const reg = await client.register({
      projectId,
      deviceName: required(flags, 'name'),
      dir: flags.strings.dir ? pathIn(io, flags.strings.dir) : undefined,
      lighthouse: endpoints.length > 0 ? { endpoints } : undefined,
    });
    if (flags.bools.json) {
      io.stdout.write(`${JSON.stringify(reg, null, 2)}\n`);
      return;
    }
    io.stdout.write(
      [
        `registered ${reg.deviceId} as ${reg.cidr} (certificate ${reg.fingerprint.slice(0, 16)}…, valid until ${reg.notAfter.toISOString()})`,
        `files in ${reg.dir}; run: sudo nebula -config ${reg.paths.config}`,
        '',
      ].join('\n'),
    );
  },
};

const status: ModeDefinition = {
  program: PROGRAM,
  name: 'status',
  summary: 'status <flags>: this device\'s IP, certificate and last contact, as the server knows them',
  flags: { ...PROJECT_DIR_FLAGS, ...SESSION_FLAGS },
  async action(flags, io) {
    const client = await clientFor(flags, io);
    io.stdout.write(`${JSON.stringify(await client.status(projectDirName(flags)), null, 2)}\n`);
  },
};

const release: ModeDefinition = {
  program: PROGRAM,
  name: 'release',
  summary: 'release <flags>: give this device\'s IP back (it cools down before reuse)',
  flags: { ...PROJECT_DIR_FLAGS, reason: { kind: 'string', usage: 'Optional: why, for the allocation history' }, ...SESSION_FLAGS },
  async action(flags, io) {
    const client = await clientFor(flags, io);
    const released = await client.release(projectDirName(flags), flags.strings.reason || undefined);
    io.stdout.write(`released ${released.releasedIp ?? '(no IP held)'}; reusable after ${released.reusableAfter ?? '-'}\n`);
  },
};

export const run = (args: string[], io: CliIo): Promise<number> => runCommand('vidsync device', [register, status, release], args, io);
