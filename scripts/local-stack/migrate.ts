// Applies supabase/migrations/ with the real Supabase CLI (pinned in
// package.json), which records them in supabase_migrations.schema_migrations
// exactly as on a hosted project.
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Sql } from 'postgres';
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

/**
 * Versions the database has applied that supabase/migrations/ no longer
 * holds. Until the first deployment the migrations are reshaped in place
 * (README), so a local database migrated before a pull can hold some; the
 * CLI then refuses to go on with a message about remote databases.
 */
export async function staleMigrationVersions(sql: Sql): Promise<string[]> {
  const [table] = await sql<{ exists: boolean }[]>`select to_regclass('supabase_migrations.schema_migrations') is not null as exists`;
  if (!table?.exists) return [];
  const applied = await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations order by version`;
  const local = new Set((await readdir(path.join(repoRoot, 'supabase', 'migrations'))).map((f) => f.split('_')[0]));
  return applied.map((r) => r.version).filter((v) => !local.has(v));
}
