// A command made of modes (`vidsync device register`, …): pick the mode by
// name, list the modes on -h, and let the mode parse its own flags.
import { type ModeDefinition, runMode } from './cert/common.ts';
import type { CliIo } from './io.ts';

export async function runCommand(program: string, modes: readonly ModeDefinition[], args: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === '-h' || name === '-help' || name === '--help') {
    io.stdout.write(`Usage of ${program} <mode>:\n  Modes:\n${modes.map((m) => `    ${m.summary}\n`).join('')}`);
    return 0;
  }
  const mode = modes.find((m) => m.name === name);
  if (!mode) {
    const known = modes.map((m) => m.name).join(', ');
    io.stderr.write(name === undefined ? `Error: no mode given (${known})\n` : `Error: unknown mode: ${name} (${known})\n`);
    return 1;
  }
  return runMode(mode, rest, io);
}
