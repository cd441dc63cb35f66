// `vidsync project create`: a new project (you own it; it gets a subnet and
// its own CA), so there is something to register devices in.
import type { CliIo } from '../io.ts';
import { type ModeDefinition, required } from '../cert/common.ts';
import { runCommand } from '../command.ts';
import { createProject } from '../../client/src/index.ts';
import { SESSION_FLAGS, sessionFrom } from '../session.ts';

const create: ModeDefinition = {
  program: 'vidsync project',
  name: 'create',
  summary: 'create <flags>: create a project with its own subnet and Nebula CA',
  flags: {
    name: { kind: 'string', usage: 'Required: the project\'s name' },
    subnet: { kind: 'string', usage: 'Optional: the overlay subnet, e.g. 10.98.1.0/24 (default: a random free /24 of the supernet)' },
    ...SESSION_FLAGS,
  },
  async action(flags, io) {
    const supabase = await sessionFrom(flags);
    const project = await createProject(supabase, { name: required(flags, 'name'), subnet: flags.strings.subnet || undefined });
    io.stdout.write(`${project.projectId} ${project.subnet}\n`);
  },
};

export const run = (args: string[], io: CliIo): Promise<number> => runCommand('vidsync project', [create], args, io);
