// `vidsync dev token <email>`: an access token for any user of the running
// local stack (the user is created on first use), for curl and supabase-js.
import type { CliIo } from '../io.ts';
import type { ModeDefinition } from '../cert/common.ts';
import { runCommand } from '../command.ts';
import { CliError } from '../io.ts';
import { localStackTools } from '../session.ts';

const token: ModeDefinition = {
  program: 'vidsync dev',
  name: 'token',
  summary: 'token [-json] <email>: print an access token (valid 24 h) for this user of the local stack, creating the user if needed',
  flags: { json: { kind: 'bool', usage: 'Optional: print {"id","email","accessToken"} as JSON' } },
  async action(flags, io) {
    const [email, ...extra] = flags.rest;
    if (!email || extra.length > 0 || !/^[^\s@]+@[^\s@]+$/.test(email)) throw new CliError('give one email address, e.g. `dev token carol@example.com`');
    const user = await (await localStackTools()).mintLocalToken(email);
    io.stdout.write(flags.bools.json ? `${JSON.stringify(user)}\n` : `${user.accessToken}\n`);
  },
};

export const run = (args: string[], io: CliIo): Promise<number> => runCommand('vidsync dev', [token], args, io);
