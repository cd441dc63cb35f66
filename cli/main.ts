// `vidsync <command> …` (also `npm run -s cli -- <command> …`). Commands are a
// table so others (dev, device) can be added as one more entry: each module
// exports `summary` and `run(args, io)`.
import { pathToFileURL } from 'node:url';
import type { CliIo, CliRun } from './io.ts';

interface Command {
  summary: string;
  load: () => Promise<{ run: CliRun }>;
}

export const COMMANDS: Record<string, Command> = {
  cert: { summary: 'cert <mode> <flags>: Nebula certificates, like nebula-cert (ca, keygen, sign, print, verify)', load: () => import('./cert/index.ts') },
  project: { summary: 'project create <flags>: create a project; you become its owner', load: () => import('./project/index.ts') },
  device: { summary: 'device <register|status|release> <flags>: join a project\'s overlay from this machine', load: () => import('./device/index.ts') },
  up: { summary: 'up -project ID [-name …] [-dir …] [-nebula PATH]: the device agent: keep this machine on the overlay', load: () => import('./up/index.ts') },
  status: { summary: 'status -project ID [-dir …]: what the device agent last recorded', load: () => import('./status/index.ts') },
  dev: { summary: 'dev token <email>: an access token for a user of the running `npm run dev` stack', load: () => import('./dev/index.ts') },
};

export function usage(): string {
  const lines = Object.values(COMMANDS).map((c) => `    ${c.summary}\n`);
  return `Usage of vidsync <command>:\n  Commands:\n${lines.join('')}`;
}

export async function main(args: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === '-h' || name === '-help' || name === '--help') {
    io.stdout.write(usage());
    return 0;
  }
  if (name === undefined) {
    io.stderr.write('Error: no command given (try -h)\n');
    return 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`Error: unknown command: ${name} (try -h)\n`);
    return 1;
  }
  return (await command.load()).run(rest, io);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
}
