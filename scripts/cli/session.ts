// Who a `device`/`project` command acts as, and against which project URL:
// flags or environment for a hosted project, else the running local stack
// (as `-email`, alice by default).
import type { SupabaseClient } from '@supabase/supabase-js';
import type { FlagSpecs, ParsedFlags } from './flags.ts';
import { CliError } from './io.ts';
import { mintLocalToken, runningStack, supabaseFor } from './local-stack.ts';

export const SESSION_FLAGS: FlagSpecs = {
  url: { kind: 'string', usage: 'Optional: the Supabase project URL (env SUPABASE_URL; default: the running local stack)' },
  'anon-key': { kind: 'string', usage: 'Optional: the project\'s anon/publishable key (env SUPABASE_ANON_KEY)' },
  token: { kind: 'string', usage: 'Optional: the user\'s access token (env VIDSYNC_ACCESS_TOKEN)' },
  email: { kind: 'string', usage: 'Optional: on the local stack, act as this user', default: 'alice@example.com' },
};

export async function sessionFrom(flags: ParsedFlags): Promise<SupabaseClient> {
  const url = flags.strings.url || process.env.SUPABASE_URL;
  const anonKey = flags.strings['anon-key'] || process.env.SUPABASE_ANON_KEY;
  const token = flags.strings.token || process.env.VIDSYNC_ACCESS_TOKEN;
  if (url || anonKey || token) {
    if (!url || !anonKey || !token) throw new CliError('a hosted project needs -url, -anon-key and -token (or SUPABASE_URL, SUPABASE_ANON_KEY, VIDSYNC_ACCESS_TOKEN)');
    return supabaseFor(url, anonKey, token);
  }
  const stack = await runningStack();
  const user = await mintLocalToken(flags.strings.email || 'alice@example.com');
  return supabaseFor(stack.supabaseUrl, stack.anonKey, user.accessToken);
}
