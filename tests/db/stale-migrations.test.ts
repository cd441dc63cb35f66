// The local stack's guard for reshaped migrations (scripts/local-stack/
// migrate.ts): a database that applied a version supabase/migrations/ no
// longer holds is named as such, so `npm run dev` can say to start afresh
// (`--reset`) instead of the CLI's advice about remote databases.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../../scripts/local-stack/free-port.ts';
import { startLocalStack } from '../../scripts/local-stack/index.ts';
import { staleMigrationVersions } from '../../scripts/local-stack/migrate.ts';
import { freshDatabase } from '../support/db.ts';
import type { FreshDatabase } from '../support/db.ts';

let db: FreshDatabase;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await db?.drop();
});

it('a database migrated from the files as they are has no stale version', async () => {
  expect(await staleMigrationVersions(db.sql)).toEqual([]);
});

it('a version applied from a file since rewritten is named (the CLI would skip it in silence); comments and white space do not count', async () => {
  const [first] = await db.sql<{ version: string; statements: string[] }[]>`select version, statements from supabase_migrations.schema_migrations order by version limit 1`;
  await db.sql`update supabase_migrations.schema_migrations set statements = ${first!.statements.map((s) => `-- a comment\n  ${s.replace(/ +/g, '   ')}`)} where version = ${first!.version}`;
  expect(await staleMigrationVersions(db.sql)).toEqual([]);
  await db.sql`update supabase_migrations.schema_migrations set statements = ${[...first!.statements, 'create table x (y int)']} where version = ${first!.version}`;
  expect(await staleMigrationVersions(db.sql)).toEqual([first!.version]);
  await db.sql`update supabase_migrations.schema_migrations set statements = ${first!.statements} where version = ${first!.version}`;
});

it('a version applied but no longer among the files is named', async () => {
  await db.sql`insert into supabase_migrations.schema_migrations (version, name) values ('20251130999999', 'reshaped_away')`;
  expect(await staleMigrationVersions(db.sql)).toEqual(['20251130999999']);
});

// The way in: a local cluster of its own (as `npm run dev` keeps one),
// migrated, then holding a version the files no longer have. Directly under
// the temp dir, not in a mkdtemp directory: as root the server runs as the
// postgres OS user, who must reach it.
it.skipIf(process.env.DATABASE_URL)('startLocalStack refuses such a local database, naming the version and --reset, and stops the Postgres it started', async () => {
  const dataDir = join(tmpdir(), `vidsync-stale-${process.pid}-${randomBytes(4).toString('hex')}`);
  const options = { dataDir, port: await freePort(), fsync: false };
  try {
    const first = await startLocalStack(options);
    const sql = postgres(first.dbUrl, { max: 1, onnotice: () => {} });
    await sql`insert into supabase_migrations.schema_migrations (version, name) values ('20251130999999', 'reshaped_away')`.finally(() => sql.end());
    await first.stop();
    await expect(startLocalStack(options)).rejects.toThrow(/20251130999999[\s\S]*npm run dev -- --reset/);
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
