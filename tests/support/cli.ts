// The CLI as the tests run it: in-process, with its I/O injected (as
// cli/main.ts takes it), in a working directory of the test's choosing.
import { main } from '../../cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `vidsync <args>` in `cwd` and returns its exit code and what it wrote. */
export async function runCli(cwd: string, args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, cwd });
  return { code, stdout, stderr };
}
