// The local stack's guard for reshaped migrations (scripts/local-stack/
// migrate.ts): a database that applied a version supabase/migrations/ no
// longer holds is named as such, so `npm run dev` can say to start afresh
// (`--reset`) instead of the CLI's advice about remote databases.
import { afterAll, beforeAll, expect, it } from 'vitest';
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

it('a version applied but no longer among the files is named', async () => {
  await db.sql`insert into supabase_migrations.schema_migrations (version, name) values ('20251130999999', 'reshaped_away')`;
  expect(await staleMigrationVersions(db.sql)).toEqual(['20251130999999']);
});
