// Who a `device`/`project` command acts as, and against which project URL:
// flags or environment for a hosted project, else the running local stack
// (as `-email`, alice by default).
import { createClient } from '@supabase/supabase-js';
import type { SupabaseClient } from '@supabase/supabase-js';
import type { FlagSpecs, ParsedFlags } from './flags.ts';
import { CliError } from './io.ts';

export const SESSION_FLAGS: FlagSpecs = {
  url: { kind: 'string', usage: 'Optional: the Supabase project URL (env SUPABASE_URL; default: the running local stack)' },
  'anon-key': { kind: 'string', usage: 'Optional: the project\'s anon/publishable key (env SUPABASE_ANON_KEY)' },
  token: { kind: 'string', usage: 'Optional: the user\'s access token (env VIDSYNC_ACCESS_TOKEN; on the local stack, default: one for -email)' },
  email: { kind: 'string', usage: 'Optional: on the local stack, act as this user', default: 'alice@example.com' },
};

export async function sessionFrom(flags: ParsedFlags): Promise<SupabaseClient> {
  const url = flags.strings.url || process.env.SUPABASE_URL;
  const anonKey = flags.strings['anon-key'] || process.env.SUPABASE_ANON_KEY;
  const token = flags.strings.token || process.env.VIDSYNC_ACCESS_TOKEN;
  if (url && anonKey && token) return supabaseFor(url, anonKey, token);
  // What is not given comes from the running local stack, and only for that
  // stack's own URL: a hosted project's token never goes to the local stack.
  const partial = Boolean(url || anonKey || token);
  const noneIfPartial = (error: unknown): undefined => {
    if (partial) return undefined;
    throw error;
  };
  const local = await localStackTools().catch(noneIfPartial);
  const stack = await local?.runningStack().catch(noneIfPartial);
  // Without the URL, a given token or key counts as the local stack's only if its issuer says so: a hosted project's never goes there.
  const foreign = (jwt: string | undefined) => jwt !== undefined && issuerOf(jwt) !== `${stack?.supabaseUrl}/auth/v1`;
  if (!local || !stack || (url ? !sameOrigin(url, stack.supabaseUrl) : foreign(token) || foreign(anonKey))) {
    throw new CliError('a hosted project needs -url, -anon-key and -token (or SUPABASE_URL, SUPABASE_ANON_KEY, VIDSYNC_ACCESS_TOKEN)');
  }
  const accessToken = token || (await local.mintLocalToken(flags.strings.email || 'alice@example.com')).accessToken;
  return supabaseFor(stack.supabaseUrl, anonKey || stack.anonKey, accessToken);
}

/** The `iss` claim of a JWT, read without verifying it (the server verifies); undefined for anything else. */
function issuerOf(jwt: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof payload.iss === 'string' ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/**
 * The dev tooling that reads a running `npm run dev` stack and mints tokens
 * with its local issuer. It lives in scripts/ (it is not part of what we ship)
 * and is loaded only when a command acts on the local stack.
 */
export async function localStackTools(): Promise<typeof import('../scripts/local-session/index.ts')> {
  try {
    return await import('../scripts/local-session/index.ts');
  } catch (cause) {
    throw new CliError(`the local-stack tooling is not available here (${(cause as Error).message}); give -url, -anon-key and -token`);
  }
}

/**
 * supabase-js for a CLI call. Node 20 has no WebSocket without a flag and
 * supabase-js refuses to start without one; we never use realtime, so a
 * transport that fails on use is enough there.
 */
export function supabaseFor(url: string, anonKey: string, accessToken: string): SupabaseClient {
  const transport = (globalThis as { WebSocket?: unknown }).WebSocket ?? NoRealtime;
  return createClient(url, anonKey, { accessToken: async () => accessToken, realtime: { transport: transport as never } });
}

class NoRealtime {
  constructor() {
    throw new Error('realtime is not available in the vidsync CLI');
  }
}

