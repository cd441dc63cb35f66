// Where a project's device agent keeps its files (agent.json among them):
// `-dir`, resolved against the working directory, or else
// ~/.vidsync/nebula/<project>. `vidsync up` writes there, `vidsync status`
// reads it, `vidsync device` installs its bundle there.
import { join } from 'node:path';
import { defaultBaseDir } from '../client/src/index.ts';
import { required } from './cert/common.ts';
import type { FlagSpecs, ParsedFlags } from './flags.ts';
import { type CliIo, pathIn } from './io.ts';

/** `-project` and `-dir`, worded once for every command that acts on a project's directory. */
export const PROJECT_DIR_FLAGS = {
  project: { kind: 'string', usage: 'Required: the project id' },
  dir: { kind: 'string', usage: 'Optional: the project directory (default ~/.vidsync/nebula/<project>)' },
} as const satisfies FlagSpecs;

/** The project an agent command names (-project, required) and its directory. */
export function agentProject(flags: ParsedFlags, io: CliIo): { projectId: string; dir: string } {
  const projectId = required(flags, 'project');
  return { projectId, dir: flags.strings.dir ? pathIn(io, flags.strings.dir) : join(defaultBaseDir(), projectId) };
}
