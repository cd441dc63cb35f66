// `vidsync project create`: a new project (you own it; it gets a subnet and
// its own CA), so there is something to register devices in.
import type { CliIo } from '../io.ts';
import { type ModeDefinition, required } from '../cert/common.ts';
import { runCommand } from '../command.ts';
import { CliError } from '../io.ts';
import { SESSION_FLAGS, sessionFrom } from '../session.ts';


const create: ModeDefinition = {
  program: 'vidsync project',
  name: 'create',
  summary: 'create <flags>: create a project with its own subnet and Nebula CA',
  flags: {
    name: { kind: 'string', usage: 'Required: the project\'s name' },
    subnet: { kind: 'string', usage: 'Optional: the overlay subnet, e.g. 10.98.1.0/24 (default: the next free /24 of the supernet)' },
    ...SESSION_FLAGS,
  },
  async action(flags, io) {
    const supabase = await sessionFrom(flags);
    const body: Record<string, string> = { name: required(flags, 'name') };
    if (flags.strings.subnet) body.subnet = flags.strings.subnet;
    const { data, error } = await supabase.functions.invoke('nebula/projects', { body });
    if (error) {
      const context = (error as { context?: Response }).context;
      const server = context ? ((await context.json().catch(() => ({}))) as { error?: { message?: string } }).error : undefined;
      throw new CliError(server?.message ?? (error as Error).message);
    }
    const project = data as { projectId: string; subnet: string };
    io.stdout.write(`${project.projectId} ${project.subnet}\n`);
  },
};

export const run = (args: string[], io: CliIo): Promise<number> => runCommand('vidsync project', [create], args, io);
