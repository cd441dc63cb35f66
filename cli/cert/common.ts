// What every `cert` mode shares: the help header, turning errors into the one
// "Error: …" line and an exit code, and nebula-cert's file habits (read
// whole files, write 0600, never overwrite).
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';
import { type FlagSpecs, formatFlagHelp, HelpRequested, type ParsedFlags, parseFlags } from '../flags.ts';
import { CliError, type CliIo, pathIn } from '../io.ts';

export const PROGRAM = 'vidsync cert';

export interface ModeDefinition {
  /** The command the mode belongs to, for its help line. Default `vidsync cert`. */
  program?: string;
  name: string;
  summary: string;
  flags: FlagSpecs;
  /** Does the work; throws CliError (or VidsyncError) with the user's one-line message. May answer its exit code (default 0). */
  action: (flags: ParsedFlags, io: CliIo) => Promise<void | number>;
}

export function modeHelp(mode: ModeDefinition): string {
  return `Usage of ${mode.program ?? PROGRAM} ${mode.summary}\n${formatFlagHelp(mode.flags)}`;
}

export async function runMode(mode: ModeDefinition, args: string[], io: CliIo): Promise<number> {
  try {
    const flags = parseFlags(mode.flags, args);
    return (await mode.action(flags, io)) ?? 0;
  } catch (e) {
    if (e instanceof HelpRequested) {
      io.stdout.write(modeHelp(mode));
      return 0;
    }
    io.stderr.write(`Error: ${oneLine(e)}\n`);
    return e instanceof CliError ? e.exitCode : 1;
  }
}

function oneLine(e: unknown): string {
  const message = e instanceof CliError || isVidsyncError(e) || e instanceof Error ? e.message : String(e);
  return message.replace(/\s*\n\s*/g, ' ');
}

export function required(flags: ParsedFlags, name: string): string {
  const value = flags.strings[name] ?? '';
  if (value === '') throw new CliError(`-${name} is required`);
  return value;
}

export async function readInput(io: CliIo, path: string, what: string, verb = 'error while reading'): Promise<string> {
  try {
    return await readFile(pathIn(io, path), 'utf8');
  } catch (e) {
    throw new CliError(`${verb} ${what}: ${(e as Error).message}`);
  }
}

/** nebula-cert checks before writing anything; `writeNew` also refuses atomically ('wx'). */
export function refuseExisting(io: CliIo, path: string, what: string): void {
  if (existsSync(pathIn(io, path))) throw new CliError(`refusing to overwrite existing ${what}: ${path}`);
}

export async function writeNew(io: CliIo, path: string, content: string, flagName: string, what: string): Promise<void> {
  try {
    await writeFile(pathIn(io, path), content, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`refusing to overwrite existing ${what}: ${path}`);
    throw new CliError(`error while writing ${flagName}: ${(e as Error).message}`);
  }
}

/** nebula-cert's comma-separated lists: trimmed, empties dropped. */
export function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Runs `work` (a parse or a check of the library); its error becomes one line behind nebula-cert's context `prefix`. */
export async function inContext<T>(prefix: string, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw new CliError(`${prefix}: ${oneLine(e)}`);
  }
}
