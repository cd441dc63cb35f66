// Applies supabase/migrations/ with the real Supabase CLI (pinned in
// package.json), which records them in supabase_migrations.schema_migrations
// exactly as on a hosted project.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repoRoot, supabaseCli } from './paths.ts';

const run = promisify(execFile);

export async function applyMigrations(dbUrl: string, log: (line: string) => void): Promise<void> {
  const url = new URL(dbUrl);
  if (!url.searchParams.has('sslmode')) url.searchParams.set('sslmode', 'disable');
  try {
    const { stdout, stderr } = await run(supabaseCli, ['migration', 'up', '--db-url', url.toString(), '--workdir', repoRoot], {
      cwd: repoRoot,
      env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
    });
    for (const line of `${stdout}${stderr}`.split('\n')) if (line.trim()) log(`migrations: ${line.trim()}`);
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`supabase migration up failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`, { cause: e });
  }
}
