// Makes a plain Postgres database look enough like a Supabase one for our
// migrations (roles, auth schema, extensions schema): see bootstrap.sql.
import { readFile } from 'node:fs/promises';
import type { Sql } from 'postgres';
import { bootstrapSqlPath } from './paths.ts';

/**
 * A real Supabase database has the `supabase_admin` role and `auth.uid()`;
 * those are left alone. A fresh database in a Supabase cluster has the role
 * but not the auth schema, so it is bootstrapped (the role statements are
 * no-ops there).
 */
export async function isSupabaseDatabase(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ supabase: boolean }[]>`
    select exists (select 1 from pg_roles where rolname = 'supabase_admin')
       and to_regprocedure('auth.uid()') is not null as supabase`;
  return row?.supabase === true;
}

export async function bootstrapDatabase(sql: Sql): Promise<void> {
  // Roles are cluster-wide: two databases bootstrapping at once would race on
  // `create role`, so the whole script runs under a cluster-wide lock.
  const script = await readFile(bootstrapSqlPath, 'utf8');
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('vidsync.local-stack.bootstrap'))`;
    await tx.unsafe(script);
  });
}
