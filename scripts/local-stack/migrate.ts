// Applies supabase/migrations/ with the real Supabase CLI (pinned in
// package.json), which records them in supabase_migrations.schema_migrations
// exactly as on a hosted project.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
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
 * holds as applied: gone, or rewritten since. Until the first deployment the
 * migrations are reshaped in place (README), so a local database migrated
 * before a pull can hold some. For a gone one the CLI refuses to go on with
 * a message about remote databases; a rewritten one it would skip in
 * silence, leaving the database on the old SQL. The CLI keeps each
 * version's statements: they are compared with the file's, comments and
 * white space aside.
 */
export async function staleMigrationVersions(sql: Sql): Promise<string[]> {
  const [table] = await sql<{ exists: boolean }[]>`select to_regclass('supabase_migrations.schema_migrations') is not null as exists`;
  if (!table?.exists) return [];
  const applied = await sql<{ version: string; statements: string | null }[]>`
    select version, array_to_string(statements, '') as statements from supabase_migrations.schema_migrations order by version`;
  const dir = path.join(repoRoot, 'supabase', 'migrations');
  const files = new Map((await readdir(dir)).filter((f) => f.endsWith('.sql')).map((f) => [f.split('_')[0]!, f]));
  const stale: string[] = [];
  for (const { version, statements } of applied) {
    const file = files.get(version);
    if (!file || (statements !== null && sqlText(statements) !== sqlText(await readFile(path.join(dir, file), 'utf8')))) stale.push(version);
  }
  return stale;
}

/** SQL without its comments, white space and statement ends: what a reformatting or a new comment does not change. */
function sqlText(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/[\s;]+/g, '');
}
