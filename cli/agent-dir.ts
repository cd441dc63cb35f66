// Where a project's device agent keeps its files (agent.json among them):
// `-dir`, resolved against the working directory, or else
// ~/.vidsync/nebula/<project>. `vidsync up` writes there, `vidsync status` reads it.
import { join } from 'node:path';
import { defaultBaseDir } from '../client/src/index.ts';
import type { ParsedFlags } from './flags.ts';
import { type CliIo, pathIn } from './io.ts';

export function agentDir(flags: ParsedFlags, io: CliIo, projectId: string): string {
  return flags.strings.dir ? pathIn(io, flags.strings.dir) : join(defaultBaseDir(), projectId);
}
