// `vidsync cert <mode>`: the nebula-cert modes, one file each.
import type { CliIo } from '../io.ts';
import { mode as ca } from './ca.ts';
import { type ModeDefinition, PROGRAM, runMode } from './common.ts';
import { mode as keygen } from './keygen.ts';
import { mode as print } from './print.ts';
import { mode as sign } from './sign.ts';
import { mode as verify } from './verify.ts';

export const MODES: readonly ModeDefinition[] = [ca, keygen, sign, print, verify];

export const summary = 'cert <mode> <flags>: Nebula certificates, like nebula-cert (ca, keygen, sign, print, verify)';

export function help(): string {
  return `Usage of ${PROGRAM} <mode>:\n  Modes:\n${MODES.map((m) => `    ${m.summary}\n`).join('')}`;
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '-h' || name === '-help' || name === '--help') {
    (name === undefined ? io.stderr : io.stdout).write(name === undefined ? `Error: No mode was provided\n` : help());
    return name === undefined ? 1 : 0;
  }
  const mode = MODES.find((m) => m.name === name);
  if (!mode) {
    io.stderr.write(`Error: unknown mode: ${name}\n`);
    return 1;
  }
  return runMode(mode, rest, io);
}
