// What a CLI command gets from the outside world, injected so tests can run
// commands in-process and read exactly what they printed.
import { resolve } from 'node:path';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Relative paths resolve against this (default: process.cwd()). */
  cwd?: string;
}

/** A command's entry point: arguments after its name; returns the exit code. */
export type CliRun = (args: string[], io: CliIo) => Promise<number>;

export function pathIn(io: CliIo, path: string): string {
  return resolve(io.cwd ?? process.cwd(), path);
}

/** An error whose message is the one line the user sees after "Error: "; the program exits with `exitCode` (1). */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
